"""The ``eccsim`` command. Every user error prints one line on stderr and exits with status 2."""

from __future__ import annotations

import argparse
import os
import sys
import time

from .errors import EccsimError

EXIT_USAGE = 2


class UsageError(Exception):
    """A command-line mistake; printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(f"{self.prog}: {message} (see {self.prog.split()[0]} --help)")


def _int_at_least(lo: int):
    """argparse type: a whole number >= ``lo``, with a one-line message otherwise."""

    def parse(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if v < lo:
            raise argparse.ArgumentTypeError(f"{text!r} must be >= {lo}")
        return v

    return parse


def _fraction(text: str) -> float:
    """argparse type: a number strictly between 0 and 1."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must lie strictly between 0 and 1")
    return v


def _positive_float(text: str) -> float:
    """argparse type: a finite number > 0."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < v < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a finite number > 0")
    return v


def _ber_list(text: str) -> list[float]:
    """argparse type: comma-separated bit error rates, each strictly between 0 and 1."""
    out = []
    for x in (t.strip() for t in text.split(",")):
        if x:
            try:
                out.append(_fraction(x))
            except argparse.ArgumentTypeError:
                raise argparse.ArgumentTypeError(
                    f"{x!r} is not a bit error rate (a number strictly between 0 and 1)"
                ) from None
    return out


_positive_int = _int_at_least(1)
_nonneg_int = _int_at_least(0)


def cmd_codes(args) -> int:
    from .codes import code_names, get_code

    if args.code:  # describe the named codes or code files in full
        codes = [get_code(name) for name in args.code]  # all checked before printing
        print("\n\n".join(c.describe() for c in codes))
        return 0
    print(f"{'name':<18} {'n':>4} {'k':>4} {'r':>3} {'d':>3}  {'symbols':<13} corrects / detects")
    for name in code_names():
        c = get_code(name)
        sym = "-"
        if getattr(c, "symbols", None) is not None:  # a symbol code: count x bits, guarantee
            sym = f"{c.n_sym}x{c.symbol_bits}b {c.guarantee}"
        print(f"{name:<18} {c.n:>4} {c.k:>4} {c.r:>3} {c.distance.short:>3}  {sym:<13} "
              f"corrects {c.corrects}; detects {c.detects}")  # fmt: skip
    if args.verbose:
        for name in code_names():
            print()
            print(get_code(name).describe())
    return 0


def cmd_modules(args) -> int:
    from .module import get_module, module_names

    for name in module_names():
        print(get_module(name).describe())
    return 0


def cmd_faults(args) -> int:
    from .faults import fault_names

    for name, text in fault_names().items():
        print(f"{name:<14} {text}")
    print(
        "combine faults with '+', e.g. chip+bit; parameters as name:N, e.g. bits:3, burst:8, "
        "ber:1e-4"
    )
    return 0


def _default_module(code):
    from .errors import ModuleError
    from .module import get_module, module_names

    for name in module_names():
        g = get_module(name)
        try:
            g.check_code(code)  # same (n, k) and, for a symbol code, one symbol per chip
        except ModuleError:
            continue
        return g
    return None


def cmd_analyze(args) -> int:
    from .analysis import exact_chip_split, exact_kbit
    from .codes import get_code
    from .compile import compile_code
    from .module import get_module
    from .report import format_chip_split, format_kbit_table

    code = get_code(args.code)
    t0 = time.perf_counter()
    if compile_code(code).keyed:
        print(f"{code.name} has r={code.r} check bits: exact k-bit counting needs a 2**r syndrome "
              f"table (r <= 22); sample k-bit errors with eccsim inject {code.name} bits:K")  # fmt: skip
    else:
        print(format_kbit_table(code, exact_kbit(code, args.max_bits)))
    if args.module == "none":
        geom = None
    elif args.module:
        geom = get_module(args.module)
        geom.check_code(code)
    else:
        geom = _default_module(code)
    if geom is not None:
        print()
        pairs = exact_chip_split(code, geom, 2) if args.pairs else None
        print(format_chip_split(exact_chip_split(code, geom, 1), geom, pairs))
    if args.verbose:
        print(f"\n({time.perf_counter() - t0:.3f} s)")
    return 0


def cmd_inject(args) -> int:
    from .campaign import load_data
    from .injection import inject
    from .module import get_module
    from .report import format_injection

    data = load_data(args.data, get_module(args.module)) if args.data is not None else None
    t0 = time.perf_counter()
    res = inject(args.code, args.module, args.fault, trials=args.trials, seed=args.seed, data=data)
    print(format_injection(res, args.seed, time.perf_counter() - t0, args.confidence))
    return 0


def cmd_design(args) -> int:
    import shlex

    from .codes import get_code
    from .design import design_code
    from .design.report import comparable_codes, format_comparison, write_code_file
    from .errors import ResultsError
    from .module import get_module
    from .safeio import check_output_path

    out = check_output_path(args.out, what="--out", folder=False, error=ResultsError)
    if (out.exists() or out.is_symlink()) and not args.force:
        raise ResultsError(f"--out {str(out)!r} exists; choose another file or add --force")
    if not out.parent.is_dir():  # checked before the search, not when its result is written
        raise ResultsError(f"--out {str(out)!r}: folder {str(out.parent)!r} does not exist; "
                           "create it or name a file in an existing folder")  # fmt: skip
    base = get_code(args.base) if args.base else None
    module = args.module
    if module is None:
        geom = _default_module(base) if base is not None else None
        module = geom.name if geom is not None else "x8-ecc-dimm"
    geom = get_module(module)
    prefer = [] if args.prefer.strip() == "none" else args.prefer
    res = design_code(
        geom, _split(args.objective) or ["chip"], prefer=prefer, n=args.n, k=args.k, base=base,
        seed=args.seed, restarts=args.restarts,
        time_budget=args.time if args.time is not None or args.restarts else 60.0,
        iterations=args.iterations, name=args.name, progress=False if args.quiet else None,
    )  # fmt: skip
    command = "eccsim " + shlex.join(sys.argv[1:]) if sys.argv[1:2] == ["design"] else ""
    try:  # without --force, never over a file that appeared during the search
        write_code_file(res.code, out, command, res.summary(), replace=args.force)
    except FileExistsError:
        print(res.summary())
        raise ResultsError(
            f"--out {str(out)!r} appeared while the search ran and was kept; the found code was "
            f"not written — rerun with another --out (--seed {res.seed} --restarts "
            f"{res.restarts} --iterations {res.iterations} reproduce it) or add --force"
        ) from None
    except OSError as exc:
        print(res.summary())
        raise ResultsError(f"--out {str(out)!r} could not be written ({exc.strerror or exc}); "
                           "the found code is summarised above") from None  # fmt: skip
    print(res.summary())
    print(f"code file: {out} (reproduce with --seed {res.seed} --restarts {res.restarts} "
          f"--iterations {res.iterations} and no --time)")  # fmt: skip
    print()
    others = [c for c in comparable_codes(geom) if c != res.code]
    print(format_comparison([res.code, *others], geom, res.problem.objectives,
                            pairs=args.pairs))  # fmt: skip
    return 0


def _interrupted(command: str, out, exc: BaseException, saved: bool = False) -> int:
    """One line on what was kept — every result (``saved``: only figures were being drawn) or
    the finished chunks; exit status 128 + the signal (130 Ctrl-C, 143 SIGTERM)."""
    ck = out / "checkpoint.json"
    if saved:
        where = (f"the results were saved ({out / 'results.csv'}, {out / 'results.json'}); "
                 f"draw missing figures with eccsim plot {out} -o FIGURE")  # fmt: skip
    elif ck.exists():
        where = f"finished chunks are saved in {ck} — rerun with --resume to continue"
    else:
        where = "nothing was saved"
    print(f"eccsim {command}: interrupted; {where}", file=sys.stderr)
    return 128 + getattr(exc, "signum", 2)


def _split(values):
    out = []
    for v in values or []:
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def _quiet_dask(args) -> None:
    """With --dask, Dask's own log lines off: the command reports in one line."""
    if getattr(args, "dask", None) is not None:
        from .campaign.cluster import quiet_logs

        quiet_logs()


def cmd_campaign(args) -> int:
    _quiet_dask(args)
    from .campaign import CampaignSpec, StopRule, format_table, run_campaign
    from .errors import CampaignError
    from .plots import plot_outcomes, plot_sites
    from .report import format_on_die_table
    from .safeio import check_output_path

    out = check_output_path(args.out, what="--out", error=CampaignError)  # before any work
    if args.spec is not None:
        if not args.spec.strip():
            raise CampaignError(
                "spec: an empty path is not a spec file; name a .toml file, or give none for "
                "the default campaign"
            )
        spec = CampaignSpec.from_toml(args.spec)
    else:
        spec = CampaignSpec()
    over = {}
    if args.codes:
        over["codes"] = tuple(_split(args.codes))
    if args.faults:
        over["faults"] = tuple(_split(args.faults))
    if args.data:
        over["data"] = tuple(_split(args.data))
    for name in ("module", "mode", "trials", "seed", "chunk"):
        v = getattr(args, name)
        if v is not None:
            over[name] = v
    # --stop-outcome alone only re-targets a rule the spec already has; it is not a rule
    if (
        args.stop_events is not None
        or args.stop_rel_ci is not None
        or (args.stop_outcome is not None and spec.stop is not None)
    ):
        base = spec.stop or StopRule()  # options refine the spec's rule, they do not replace it
        over["stop"] = StopRule(
            args.stop_outcome if args.stop_outcome is not None else base.outcome,
            args.stop_events if args.stop_events is not None else base.min_events,
            args.stop_rel_ci if args.stop_rel_ci is not None else base.rel_ci,
        )
    if over:
        d = spec.to_dict()
        d.update(over)
        if isinstance(d.get("stop"), dict):
            d["stop"] = StopRule(**d["stop"])
        spec = CampaignSpec.from_dict(d, where="options")
    t0 = time.perf_counter()
    figs, saved = [], []
    level = "line" if spec.systems else "word"  # a memory system's unit is the line it returns

    def figures(res):  # drawn while the run still holds the folder's lock, after the results
        saved.append(True)
        figs.append(plot_outcomes(res, out / "outcomes.png", level=level))
        if any(j.site_kind for j in res.jobs):
            figs.append(plot_sites(res, out / "chips.png"))

    try:
        res = run_campaign(spec, out, resume=args.resume, force=args.force, workers=args.workers,
                           progress=False if args.quiet else None, finish=figures,
                           dask=args.dask)  # fmt: skip
    except KeyboardInterrupt as exc:
        return _interrupted("campaign", out, exc, bool(saved))
    dt = time.perf_counter() - t0
    print(format_table(res, level=level))
    on_die = format_on_die_table(res)
    if on_die:
        print("\n" + on_die)
    pats = sum(j.patterns for j in res.jobs)
    where = f", {res.meta['executor']}" if args.dask else ""
    print(f"\n{pats} fault patterns in {dt:.1f} s ({pats / dt:,.0f} patterns/s, "
          f"{res.meta['workers']} workers{where}), seed {spec.seed}")  # fmt: skip
    print(
        f"results: {out / 'results.csv'}, {out / 'results.json'}; figures: "
        + ", ".join(str(f) for f in figs)
    )
    return 0


def cmd_sweep(args) -> int:
    _quiet_dask(args)
    from .ber import DEFAULT_BERS, sweep_ber
    from .campaign import StopRule
    from .errors import CampaignError
    from .plots import plot_ber
    from .report import format_sweep_table
    from .safeio import check_output_path

    out = check_output_path(args.out, what="--out", error=CampaignError)  # before the sweep runs
    codes = _split(args.codes) or ["hamming-secded", "hsiao-secded"]
    bers = [b for group in args.ber for b in group] if args.ber else list(DEFAULT_BERS)
    stop = None
    if args.stop_events is not None or args.stop_rel_ci is not None:
        stop = StopRule("sdc", args.stop_events or 0, args.stop_rel_ci)
    figs, saved = [], []
    kw = {"chunk": args.chunk} if args.chunk is not None else {}
    try:
        res = sweep_ber(codes, args.module, bers, trials=args.trials, seed=args.seed, out_dir=out,
                        workers=args.workers or (None if args.dask else os.cpu_count() or 1),
                        resume=args.resume, force=args.force, stop=stop,
                        progress=False if args.quiet else None, dask=args.dask,
                        finish=lambda res: saved.append(True) or figs.append(
                            plot_ber(res, out / "ber.png")), **kw)  # fmt: skip
    except KeyboardInterrupt as exc:
        return _interrupted("sweep-ber", out, exc, bool(saved))
    print(format_sweep_table(res))
    print(f"results: {out / 'results.csv'}, {out / 'results.json'}; figure: {figs[0]}")
    return 0


def _float_or_none(text: str):
    """A positive number of hours, or 'none' / 0 (no scrub)."""
    if text.strip().lower() in ("none", "0", "off"):
        return None
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of hours or 'none'") from None
    if not v > 0 or v != v or v == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number of hours or 'none'")
    return v


def cmd_lifetime(args) -> int:
    import tomllib

    from .campaign.folder import hold_folder, refuse_if_in_use
    from .errors import InputError
    from .faults.field import load_fit_table
    from .lifetime import LifetimeSpec, get_config
    from .lifetime_runner import run_lifetime_job
    from .plots import plot_lifetime
    from .report import format_lifetime_table
    from .results import LIFETIME_FILES, environment, save_lifetime
    from .safeio import check_output_path, read_text

    out = check_output_path(args.out, what="--out", error=InputError)  # before any work
    d: dict = {}
    if args.spec is not None:
        text = read_text(args.spec, what="spec file", error=InputError)
        try:
            doc = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, RecursionError) as exc:
            raise InputError(f"{args.spec}: malformed TOML ({exc})") from None
        if not isinstance(doc.get("lifetime"), dict):
            raise InputError(f"{args.spec}: no [lifetime] table")
        d = dict(doc["lifetime"])
    from pathlib import Path

    base = Path(args.spec).parent if args.spec else None
    spec = LifetimeSpec.from_dict(d, where=args.spec or "options", base=base)
    over = {}
    if args.configs:
        over["configs"] = tuple(_split(args.configs))
    for name in ("years", "trials", "seed", "ranks", "points"):
        if getattr(args, name) is not None:
            over[name] = getattr(args, name)
    if args.scrub_hours is not False:
        over["scrub_hours"] = args.scrub_hours
    if args.fit is not None:
        over["fit"] = load_fit_table(args.fit)
    if over:
        from dataclasses import replace

        spec = replace(spec, **over)
    for c in spec.configs:  # every name resolved before any work
        get_config(c)
    if args.resume and args.force:
        raise InputError("--resume and --force exclude each other")
    if args.dask is not None:  # a bad target is refused before the folder is touched
        from .campaign.cluster import parse_target

        parse_target(args.dask, args.workers)
        _quiet_dask(args)
    refuse_if_in_use(out)
    ours = [f for f in LIFETIME_FILES if (out / f).exists()]
    if ours and not (args.force or args.resume):
        hint = "--resume to continue or " if any("checkpoint" in f for f in ours) else ""
        raise InputError(f"results folder {str(out)!r} already holds lifetime results "
                         f"({', '.join(ours)}); use {hint}--force to overwrite")  # fmt: skip
    t0 = time.perf_counter()
    with hold_folder(out, error=InputError):

        def clear_old():  # once the workers are up: an unreachable cluster costs nothing
            if args.force:
                for f in ours:
                    (out / f).unlink(missing_ok=True)

        try:
            res = run_lifetime_job(spec, out, resume=args.resume, workers=args.workers,
                                   progress=False if args.quiet else None, dask=args.dask,
                                   prepare=clear_old)  # fmt: skip
        except KeyboardInterrupt as exc:
            print(f"eccsim lifetime: interrupted; finished chunks are saved in "
                  f"{out / 'lifetime-checkpoint.json'} — rerun with --resume to continue",
                  file=sys.stderr)  # fmt: skip
            return 128 + getattr(exc, "signum", 2)
        dt = time.perf_counter() - t0
        meta = {"environment": environment(), "wall_s": round(dt, 3),
                "trials_per_s": spec.trials / dt if dt > 0 else None}  # fmt: skip
        csv_path, json_path = save_lifetime(out, res, meta)
        fig = plot_lifetime(res, out / "lifetime.png")
    print(format_lifetime_table(res))
    print(f"\n{spec.trials:,} trials x {len(spec.configs)} configurations in {dt:.1f} s "
          f"({spec.trials / dt:,.0f} trials/s), seed {spec.seed}")  # fmt: skip
    print(f"results: {csv_path}, {json_path}; figure: {fig}")
    return 0


def cmd_plot(args) -> int:
    from .plots import check_figure_path, plot_ber, plot_outcomes, plot_sites
    from .results import load_results

    check_figure_path(args.output)
    from pathlib import Path

    p = Path(args.results)
    if args.kind == "lifetime" or (p / "lifetime.json").exists() or p.name == "lifetime.json":
        from .plots import plot_lifetime
        from .results import load_lifetime

        if args.kind not in ("auto", "lifetime"):
            raise UsageError(f"eccsim plot: --kind {args.kind} needs campaign results")
        print(plot_lifetime(load_lifetime(p), args.output))
        return 0
    res = load_results(args.results)
    kind = args.kind
    if kind == "auto":
        kind = "ber" if res.kind == "ber-sweep" else "outcomes"
    fn = {"outcomes": plot_outcomes, "sites": plot_sites, "ber": plot_ber}[kind]
    if kind == "ber" and res.kind != "ber-sweep":
        raise UsageError("eccsim plot: --kind ber needs the results of eccsim sweep-ber")
    if kind != "ber" and res.kind == "ber-sweep":
        raise UsageError(f"eccsim plot: --kind {kind} needs campaign results, not a BER sweep")
    level = args.level or ("line" if any("@" in j.code for j in res.jobs) else "word")
    print(fn(res, args.output, level=level) if kind != "sites" else fn(res, args.output))
    return 0


def _testbench_dut(args):
    """The DUT an ``eccsim testbench`` command names (one of --python, --c, --rtl, --vectors)."""
    from pathlib import Path

    if args.vectors:
        from .testbench.vectors import RecordedVectors

        return RecordedVectors(args.vectors, k=args.k, r=args.r)
    if args.python:
        from .testbench.python_dut import load_python_dut

        return load_python_dut(args.python, k=args.k, r=args.r, vectorized=not args.per_word,
                               timeout_s=args.timeout)  # fmt: skip
    if args.c:
        if not Path(args.c).is_file():
            raise UsageError(f"eccsim testbench: --c {args.c!r}: no such file")
        if args.k is None or args.r is None:
            raise UsageError("eccsim testbench: --c needs the DUT's sizes: --k K --r R")
        try:
            from .testbench.c_dut import CLibraryDUT
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("eccsim"):
                raise UsageError(
                    "eccsim testbench: --c needs eccsim.testbench.c_dut (the C-library adapter), "
                    "which this installation lacks"
                ) from None
            raise
        return CLibraryDUT(args.c, k=args.k, r=args.r, encode_symbol=args.c_encode,
                           decode_symbol=args.c_decode, timeout_s=args.timeout)  # fmt: skip
    try:
        from .testbench.rtl_dut import RTLDUT
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("eccsim"):
            raise UsageError(
                "eccsim testbench: --rtl needs eccsim.testbench.rtl_dut (the RTL adapter), which "
                "this installation lacks"
            ) from None
        raise
    return RTLDUT.from_cli(args)


def cmd_testbench(args) -> int:
    from pathlib import Path

    from .safeio import check_output_path

    names = ("report.txt", "report.json", "report.png")
    out = None
    if args.out is not None:
        out = check_output_path(args.out, what="--out")
        taken = [n for n in names if (out / n).exists()]
        if taken and not args.force:
            raise UsageError(
                f"eccsim testbench: --out {str(out)!r} already holds {', '.join(taken)}; pass "
                "--force to replace them"
            )
    if args.vectors and args.module:
        raise UsageError("eccsim testbench: --module is not used with --vectors (rows are "
                         "checked, not driven)")  # fmt: skip
    from .testbench.checks import run_testbench
    from .testbench.dut import DUTError

    try:
        dut = _testbench_dut(args)
    except DUTError as exc:
        print(f"eccsim testbench: the DUT could not be loaded: {exc}", file=sys.stderr)
        return 1
    try:
        report = run_testbench(dut, model=args.model, module=args.module, words=args.words,
                               seed=args.seed, max_exhaustive=args.max_exhaustive,
                               max_sampled=args.max_sampled, decoder=args.decoder,
                               max_bits=args.max_bits)  # fmt: skip
    finally:
        dut.close()
    print(report.to_text(), end="")
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        report.write_text(out / "report.txt")
        report.to_json(out / "report.json")
        report.plot(out / "report.png")
        print(f"written: {', '.join(str(out / n) for n in names)}")
    return 0 if report.passed else 1


def cmd_bench(args) -> int:
    from .benchmark import run_report
    from .report import format_bench_report

    rows = run_report(mib=args.mib, trials=args.trials, galois_words=args.galois_words,
                      repeat=args.repeat)  # fmt: skip
    from .dispatch import cpu_features, cpu_model

    simd = [f for f in ("avx512vpopcntdq", "avx512f", "avx2", "gfni") if f in cpu_features()]
    print(format_bench_report(rows, cpu_model(), ", ".join(simd) or "no AVX"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="eccsim", description="ECC memory simulator and test bench")
    from .version import __version__

    p.add_argument("--version", action="version", version=f"eccsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("codes", help="list the code catalogue, or describe codes and code files")
    s.add_argument("code", nargs="*", help="codes or code files to describe in full (layout, "
                   "distance, what it corrects and detects)")  # fmt: skip
    s.add_argument("-v", "--verbose", action="store_true", help="describe each code in full")
    s.set_defaults(func=cmd_codes)

    s = sub.add_parser("modules", help="list the module presets")
    s.set_defaults(func=cmd_modules)

    s = sub.add_parser("faults", help="list the fault models")
    s.set_defaults(func=cmd_faults)

    s = sub.add_parser("analyze", help="exact outcome counts of every k-bit error and chip fault")
    s.add_argument("code", help="catalogue name or code file (.txt/.npy/.json)")
    s.add_argument("--max-bits", type=_positive_int, default=4, help="largest k (default 4)")
    s.add_argument("--module", help="module preset for the whole-chip split ('none' to skip)")
    s.add_argument("--pairs", action=argparse.BooleanOptionalAction, default=True,
                   help="also the exact two-chip split (default on)")  # fmt: skip
    s.add_argument("-v", "--verbose", action="store_true", help="print the time taken")
    s.set_defaults(func=cmd_analyze)

    s = sub.add_parser("design", help="search for the SEC-DED H matrix that fits a module's "
                       "faults best")  # fmt: skip
    s.add_argument("--module", help="module preset (default: the base code's, else x8-ecc-dimm)")
    s.add_argument("--objective", action="append",
                   help="fault models to minimise silent outcomes of: chip, chips:2, burst:L, "
                   "bits:K (comma-separated; default chip)")  # fmt: skip
    s.add_argument("--prefer", default="triples,rows,ones",
                   help="secondary preferences in order: triples, rows, ones, or none "
                   "(default triples,rows,ones)")  # fmt: skip
    s.add_argument("--n", type=_positive_int, help="codeword bits (must match the module)")
    s.add_argument("--k", type=_positive_int, help="data bits (must match the module)")
    s.add_argument("--base", help="code to start from (catalogue name or code file)")
    s.add_argument("--seed", type=_nonneg_int, default=0)
    s.add_argument("--time", type=_positive_float, default=None,
                   help="time budget in seconds (default 60 unless --restarts is given)")  # fmt: skip
    s.add_argument("--restarts", type=_positive_int, help="stop after this many restarts")
    s.add_argument("--iterations", type=_positive_int, default=200_000,
                   help="annealing steps per restart (200,000)")  # fmt: skip
    s.add_argument("--name", help="name of the found code (default design-MODULE)")
    s.add_argument("-o", "--out", default="eccsim-design.txt",
                   help="code file to write (eccsim-design.txt)")  # fmt: skip
    s.add_argument("--force", action="store_true", help="overwrite an existing --out file")
    s.add_argument("--pairs", action=argparse.BooleanOptionalAction, default=True,
                   help="compare two-chip faults too (default on)")  # fmt: skip
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_design)

    s = sub.add_parser("inject", help="inject one fault model into one code on one module")
    s.add_argument("code")
    s.add_argument("fault", help="fault name, e.g. bits:3, chip, pin-stuck-1 (see eccsim faults)")
    s.add_argument("--module", default="x8-ecc-dimm", help="module preset (default x8-ecc-dimm)")
    s.add_argument("--trials", type=_positive_int, help="random patterns (default: exhaustive)")
    s.add_argument(
        "--data", help="random (default), zeros, ones, checkerboard or FILE.npy of lines"
    )
    s.add_argument("--seed", type=_nonneg_int, default=0)
    s.add_argument("--confidence", type=_fraction, default=0.95,
                   help="confidence of the intervals of sampled rates (default 0.95)")  # fmt: skip
    s.set_defaults(func=cmd_inject)

    s = sub.add_parser(
        "campaign", help="run a fault-injection campaign (no arguments: the main job)"
    )
    s.add_argument("spec", nargs="?", help="campaign spec (.toml with a [campaign] table)")
    s.add_argument("--codes", action="append", help="comma-separated code names or files")
    s.add_argument("--faults", action="append", help="comma-separated fault names")
    s.add_argument("--data", action="append", help="random, zeros, ones, checkerboard or FILE.npy")
    s.add_argument("--module", help="module preset")
    s.add_argument("--mode", choices=("auto", "exhaustive", "monte-carlo"))
    s.add_argument("--trials", type=_positive_int, help="Monte Carlo trials per job")
    s.add_argument("--seed", type=_nonneg_int)
    s.add_argument("--chunk", type=_positive_int, help="trials per checkpointed chunk (x4096)")
    s.add_argument("--stop-outcome", help="outcome the stop rule watches (default sdc)")
    s.add_argument("--stop-events", type=_nonneg_int, help="stop once it has this many events")
    s.add_argument(
        "--stop-rel-ci", type=_fraction, help="... and its relative CI half-width <= this"
    )
    s.add_argument("--workers", type=_positive_int, help="worker processes (default: all cores)")
    s.add_argument("--dask", metavar="TARGET",
                   help="run on Dask: local[:N] (a LocalCluster) or a scheduler address "
                        "tcp://HOST:8786 (needs the dask extra)")  # fmt: skip
    s.add_argument("--out", default="eccsim-results", help="results folder (eccsim-results)")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue an interrupted campaign")
    g.add_argument("--force", action="store_true", help="overwrite existing results")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_campaign)

    s = sub.add_parser("sweep-ber", help="outcome rates vs raw bit error rate, simulated and exact")
    s.add_argument("--codes", action="append", help="codes (default hamming-secded,hsiao-secded)")
    s.add_argument("--module", default="x8-ecc-dimm")
    s.add_argument("--ber", action="append", type=_ber_list,
                   help="comma-separated rates in (0, 1) (default 1e-6,1e-5,1e-4,1e-3,1e-2)")  # fmt: skip
    s.add_argument("--trials", type=_positive_int, default=100_000, help="trials per point")
    s.add_argument("--seed", type=_nonneg_int, default=0)
    s.add_argument("--chunk", type=_positive_int, help="trials per checkpointed chunk (x4096)")
    s.add_argument("--stop-events", type=_nonneg_int,
                   help="stop a point once it has this many SDC events")  # fmt: skip
    s.add_argument(
        "--stop-rel-ci", type=_fraction, help="... and its relative CI half-width <= this"
    )
    s.add_argument("--workers", type=_positive_int, help="worker processes (default: all cores)")
    s.add_argument("--dask", metavar="TARGET",
                   help="run on Dask: local[:N] (a LocalCluster) or a scheduler address "
                        "tcp://HOST:8786 (needs the dask extra)")  # fmt: skip
    s.add_argument("--out", default="eccsim-sweep", help="results folder (eccsim-sweep)")
    g = s.add_mutually_exclusive_group()
    g.add_argument("--resume", action="store_true", help="continue an interrupted sweep")
    g.add_argument("--force", action="store_true", help="overwrite existing results")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_sweep)

    s = sub.add_parser("lifetime", help="P(DUE/SDC by t) over years at field FIT rates")
    s.add_argument("spec", nargs="?", help="lifetime spec (.toml with a [lifetime] table)")
    s.add_argument("--configs", action="append",
                   help="comma-separated RANK@MODULE[+ondie=CODE] or none@MODULE")  # fmt: skip
    s.add_argument("--years", type=float, help="lifetime in years (default 7)")
    s.add_argument("--scrub-hours", type=_float_or_none, default=False,
                   help="patrol scrub interval in hours, or none (default 3)")  # fmt: skip
    s.add_argument("--trials", type=_positive_int, help="trials per configuration (1,000,000)")
    s.add_argument("--seed", type=_nonneg_int)
    s.add_argument("--ranks", type=_positive_int, help="ranks of the module's chips (1)")
    s.add_argument("--points", type=_positive_int, help="grid times from 0 to the lifetime (29)")
    s.add_argument("--fit", help="FIT table (.toml or .csv); default Sridharan & Liberty SC'12")
    s.add_argument("--workers", type=_positive_int, help="worker processes (default 1)")
    s.add_argument("--dask", metavar="TARGET",
                   help="run on Dask: local[:N] (a LocalCluster) or a scheduler address "
                        "tcp://HOST:8786 (needs the dask extra)")  # fmt: skip
    s.add_argument("--out", default="eccsim-lifetime", help="results folder (eccsim-lifetime)")
    s.add_argument("--resume", action="store_true", help="continue an interrupted run")
    s.add_argument("--force", action="store_true", help="overwrite existing lifetime results")
    s.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    s.set_defaults(func=cmd_lifetime)

    s = sub.add_parser("plot", help="plot saved results (results.json or its folder)")
    s.add_argument("results")
    s.add_argument("-o", "--output", required=True, help="figure file: .png, .svg or .pdf")
    s.add_argument("--kind", choices=("auto", "outcomes", "sites", "ber", "lifetime"),
                   default="auto")  # fmt: skip
    s.add_argument("--level", choices=("word", "line"),
                   help="per codeword or per line (default: word; line for memory systems)")  # fmt: skip
    s.set_defaults(func=cmd_plot)

    s = sub.add_parser("bench", help="measure throughput against memcpy (short report)")
    s.add_argument("--mib", type=_positive_int, default=64, help="MiB of data words (64)")
    s.add_argument("--trials", type=_positive_int, default=4_000_000, help="campaign trials")
    s.add_argument("--galois-words", type=_positive_int, default=4096, help="words for galois")
    s.add_argument("--repeat", type=_positive_int, default=5, help="timed runs per operation")
    s.set_defaults(func=cmd_bench)

    s = sub.add_parser("testbench", help="check a user's encoder/decoder against eccsim's model")
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--python", metavar="FILE.py:ENC,DEC",
                   help="Python callables (FILE.py:ENC,DEC, module:ENC,DEC or FILE.py:FACTORY)")  # fmt: skip
    g.add_argument("--c", metavar="LIB.so", help="a C shared library (see eccsim.testbench.c_dut)")
    g.add_argument("--rtl", nargs="+", metavar="SOURCE",
                   help="Verilog/SystemVerilog sources (see eccsim.testbench.rtl_dut)")  # fmt: skip
    g.add_argument("--vectors", metavar="FILE", help="recorded vectors (.csv or .json) to check")
    s.add_argument("--k", type=_positive_int, help="the DUT's data bits")
    s.add_argument("--r", type=_positive_int, help="the DUT's check bits")
    s.add_argument("--model", help="the code the DUT should implement (default: the one its "
                   "encoder implements)")  # fmt: skip
    s.add_argument("--decoder", choices=("sec", "detect"), help="the model's decoder")
    s.add_argument("--module", help="also every chip and pin fault of this module preset")
    s.add_argument("--words", type=_positive_int, default=4, help="random data words (4)")
    s.add_argument("--seed", type=_nonneg_int, default=0)
    s.add_argument("--max-bits", type=_nonneg_int, default=4,
                   help="heaviest random error flipped, 0..4 (4)")  # fmt: skip
    s.add_argument("--max-exhaustive", type=_nonneg_int, default=2_000_000,
                   help="3- and 4-bit errors exhaustive up to this many decodes (2,000,000)")  # fmt: skip
    s.add_argument("--max-sampled", type=_nonneg_int, default=200_000,
                   help="decodes sampled beyond that (200,000)")  # fmt: skip
    s.add_argument("--timeout", type=float, default=10.0,
                   help="seconds per call of a Python or C DUT (10)")  # fmt: skip
    s.add_argument("--per-word", action="store_true",
                   help="--python callables take one word as ints (not arrays)")  # fmt: skip
    s.add_argument("--c-encode", default="ecc_encode", help="encoder symbol (ecc_encode)")
    s.add_argument("--c-decode", default="ecc_decode", help="decoder symbol (ecc_decode)")
    s.add_argument("--rtl-encoder", help="encoder module name")
    s.add_argument("--rtl-decoder", help="decoder module name")
    s.add_argument("--rtl-port", action="append", metavar="ROLE=PORT",
                   help="port of a role, e.g. dec_corrected=sec_err (repeatable)")  # fmt: skip
    s.add_argument("--rtl-const", action="append", metavar="PORT=VALUE",
                   help="an input held constant, e.g. mode=1 (repeatable)")  # fmt: skip
    s.add_argument("--rtl-latency", help="cycles, or encoder=N,decoder=M (0: combinational)")
    s.add_argument("--rtl-clock", help="clock port, or encoder=P,decoder=Q")
    s.add_argument("--rtl-simulator", default="icarus", help="simulator (icarus)")
    s.add_argument("--rtl-timeout", type=float, help="seconds per simulation (120)")
    s.add_argument("--out", help="folder for report.txt, report.json and report.png")
    s.add_argument("--force", action="store_true", help="replace an earlier report in --out")
    s.set_defaults(func=cmd_testbench)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        return args.func(args)
    except BrokenPipeError:  # e.g. `eccsim codes | head -1`: the reader left, not an error
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except EccsimError as exc:  # user mistakes only; any other exception is a bug: traceback
        print(f"eccsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"eccsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("eccsim: interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The ``eccsim`` command: :func:`main`, then exit with its status. An interrupted run
    (130 Ctrl-C, 143 SIGTERM) leaves at once with that status: a Ctrl-C that landed inside
    an extension's import or compile can make the interpreter's own exit re-raise SIGINT, which
    would report death by signal instead of the documented status."""
    code = main()
    if code in (128 + 2, 128 + 15):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
