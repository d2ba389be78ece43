"""Figures are written like results: through an exclusive temporary beside the target, never
through a planted symlink, never left half-written, and a bad figure path is refused before
anything is plotted."""

from __future__ import annotations

import pytest

from eccsim.errors import ResultsError
from eccsim.injection import inject
from eccsim.plots import check_figure_path, plot_outcomes
from eccsim.results import JobResult, Results


@pytest.fixture(scope="module")
def results() -> Results:
    r = inject("hsiao-secded", "x8-ecc-dimm", "bits:2")
    job = JobResult(r.code, r.module, r.fault, "random", "exhaustive", "", r.patterns, r.words,
                    r.lines)  # fmt: skip
    return Results("campaign", {}, {}, [job], [])


def test_a_symlink_planted_at_the_old_temporary_name_is_not_followed(results, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    (tmp_path / ".fig.tmp.png").symlink_to(victim)  # the fixed name eccsim 0.1 wrote through
    (tmp_path / ".fig.png.tmp").symlink_to(victim)
    out = plot_outcomes(results, tmp_path / "fig.png")
    assert victim.read_text() == "precious"
    assert out.read_bytes().startswith(b"\x89PNG")


def test_plotting_leaves_no_temporary_behind(results, tmp_path):
    plot_outcomes(results, tmp_path / "fig.svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.svg"]


def test_a_failed_save_keeps_the_previous_figure(results, tmp_path, monkeypatch):
    target = tmp_path / "fig.png"
    target.write_bytes(b"old figure")
    from matplotlib.figure import Figure

    def boom(self, *a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(Figure, "savefig", boom)
    with pytest.raises(KeyboardInterrupt):
        plot_outcomes(results, target)
    assert target.read_bytes() == b"old figure"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fig.png"]


@pytest.mark.parametrize("bad, fragment", [("", "empty path"), ("fig.jpg", ".png"),
                                           ("{tmp}", "is a folder")])  # fmt: skip
def test_a_bad_figure_path_is_refused_up_front(tmp_path, bad, fragment):
    with pytest.raises(ResultsError, match=fragment):
        check_figure_path(bad.format(tmp=tmp_path))
