"""``harness compare METHOD_A METHOD_B``: paired deltas, intervals and p-values per protocol leg."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from harness.cli.console import handle_errors, out


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def _p(x: float) -> str:
    return f"{x:.3g}" if x >= 1e-4 else f"{x:.1e}"


@handle_errors
def compare_command(
    method_a: str = typer.Argument(..., help="Method A: name or name@variant."),
    method_b: str = typer.Argument(..., help="Method B: name or name@variant."),
    results: Path = typer.Option(..., "--results", help="Results folder holding both methods' records."),
    protocol: str = typer.Option(
        None, "--protocol", "-p", help="Only this protocol; default: every shared one."
    ),
    leg: list[str] = typer.Option(
        None, "--leg", help="Only this leg (repeatable); default: every shared leg."
    ),
    metric: str = typer.Option("mAP", "--metric", help="R1, R5, R10, mAP or mINP."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON rows instead of a table."),
    resamples: int = typer.Option(1000, "--resamples", min=100, help="Bootstrap resamples of the delta."),
    permutations: int = typer.Option(10000, "--permutations", min=100, help="Sign-flip permutations."),
    seed: int = typer.Option(0, "--seed", help="Seed of the resampling."),
) -> None:
    """Pair A's and B's queries leg by leg: A, B, delta, 95% paired-bootstrap CI of the delta and a
    p-value (exact McNemar for R-k, paired sign-flip otherwise), Holm-adjusted across legs."""
    from harness.results.compare import compare_methods

    rows = compare_methods(
        results,
        method_a,
        method_b,
        metric=metric,
        protocol=protocol,
        legs=list(leg or []),
        n_resamples=resamples,
        n_permutations=permutations,
        seed=seed,
    )
    if as_json:
        typer.echo(json.dumps([r.to_json() for r in rows], indent=2))
        return
    metric_name = rows[0].metric
    headers = ("protocol", "leg", "A", "B", "delta", "95% CI", "p", "p (Holm)", "pairs", "test")
    cells = [
        (
            r.protocol,
            r.leg,
            _pct(r.a),
            _pct(r.b),
            f"{100 * r.delta:+.1f}",
            f"[{100 * r.ci_low:+.1f}, {100 * r.ci_high:+.1f}]",
            _p(r.p_value),
            _p(r.p_adjusted),
            str(r.n_pairs),
            r.test,
        )
        for r in rows
    ]
    title = f"{metric_name} (%): A = {method_a}, B = {method_b}"
    if out.is_terminal:
        from rich.table import Table

        table = Table(*headers, title=title)
        for c in cells:
            table.add_row(*c)
        out.print(table)
    else:  # plain lines for pipes and logs: nothing cut
        typer.echo(title)
        typer.echo("\t".join(headers))
        for c in cells:
            typer.echo("\t".join(c))
    typer.echo(
        "delta = A - B; CI: paired bootstrap over queries (trials then queries for multi-trial legs); "
        "Holm adjusts across the legs listed"
    )
