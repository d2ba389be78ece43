"""The ``eccsim`` command. Every user error prints one line on stderr and exits with status 2."""

from __future__ import annotations

import argparse
import sys
import time

EXIT_USAGE = 2


class UsageError(Exception):
    """A command-line mistake; printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump
        raise UsageError(f"{self.prog}: {message} (see {self.prog.split()[0]} --help)")


def _positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 1")
    return v


def _nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be >= 0")
    return v


def _fmt_counts(label: str, counts, width: int = 18) -> str:
    t = counts.total
    cells = []
    for key in ("no_error", "ce", "due", "sdc_undetected", "sdc_miscorrected"):
        v = counts[key]
        cells.append(f"{v:>10} {v / t if t else 0:7.2%}")
    return f"{label:<{width}} {t:>10}  " + "  ".join(cells)


def _counts_header(first: str, width: int = 18) -> str:
    names = ("no error", "CE", "DUE", "SDC undetected", "SDC miscorrected")
    return f"{first:<{width}} {'words':>10}  " + "  ".join(f"{n:>18}" for n in names)


def cmd_codes(args) -> int:
    from .codes import code_names, get_code

    print(f"{'name':<18} {'n':>4} {'k':>4} {'r':>3} {'d':>3}  corrects / detects")
    for name in code_names():
        c = get_code(name)
        print(f"{name:<18} {c.n:>4} {c.k:>4} {c.r:>3} {c.min_distance or '>8':>3}  "
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
    print("combine faults with '+', e.g. chip+bit; parameters as name:N, e.g. bits:3, burst:8")
    return 0


def _default_module(code):
    from .module import get_module, module_names

    for name in module_names():
        g = get_module(name)
        if (g.n, g.k) == (code.n, code.k):
            return g
    return None


def cmd_analyze(args) -> int:
    from .analysis import exact_kbit, format_kbit_table
    from .codes import get_code
    from .injection import inject
    from .module import get_module

    code = get_code(args.code)
    t0 = time.perf_counter()
    rows = exact_kbit(code, args.max_bits)
    print(format_kbit_table(code, rows))
    if args.module == "none":
        geom = None
    elif args.module:
        geom = get_module(args.module)
        geom.check_code(code)
    else:
        geom = _default_module(code)
    if geom is not None:
        res = inject(code, geom, "chip")
        print()
        print(f"whole-chip faults on {geom.name}: every non-zero pattern of one chip's "
              f"{geom.chip_width} bits in one beat ({res.patterns} patterns), exact")  # fmt: skip
        print(_counts_header("chip"))
        for chip in sorted(res.words.by_site):
            from .outcomes import OutcomeCounts

            kind = "check" if chip in geom.check_chips else "data"
            print(_fmt_counts(f"{chip} ({kind})", OutcomeCounts(res.words.by_site[chip])))
        print(_fmt_counts("all chips", res.words))
    if args.verbose:
        print(f"\n({time.perf_counter() - t0:.3f} s)")
    return 0


def cmd_inject(args) -> int:
    from .injection import inject

    t0 = time.perf_counter()
    res = inject(args.code, args.module, args.fault, trials=args.trials, seed=args.seed)
    dt = time.perf_counter() - t0
    mode = "exhaustive" if res.exhaustive else f"{res.patterns} random patterns, seed {args.seed}"
    print(f"{res.code} on {res.module}, fault {res.fault} ({mode}, {dt:.2f} s)")
    print(_counts_header("per"))
    print(_fmt_counts("codeword", res.words))
    print(_fmt_counts("line", res.lines))
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="eccsim", description="ECC memory simulator and test bench")
    from . import __version__

    p.add_argument("--version", action="version", version=f"eccsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    s = sub.add_parser("codes", help="list the code catalogue")
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
    s.add_argument("-v", "--verbose", action="store_true", help="print the time taken")
    s.set_defaults(func=cmd_analyze)

    s = sub.add_parser("inject", help="inject one fault model into one code on one module")
    s.add_argument("code")
    s.add_argument("fault", help="fault name, e.g. bits:3, chip, pin-stuck-1 (see eccsim faults)")
    s.add_argument("--module", default="x8-ecc-dimm", help="module preset (default x8-ecc-dimm)")
    s.add_argument("--trials", type=_positive_int, help="random patterns (default: exhaustive)")
    s.add_argument("--seed", type=_nonneg_int, default=0)
    s.set_defaults(func=cmd_inject)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            parser.print_help()
            return 0
        return args.func(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except ValueError as exc:  # CodeError, InputError, ModuleError, FaultError, ...
        print(f"eccsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"eccsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("eccsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
