"""``harness show protocol|method NAME``: the full definition of one protocol or method."""

from __future__ import annotations

import typer
from rich.table import Table

from harness.cli.console import handle_errors, key_table, out, print_table, styled

app = typer.Typer(help="Show one protocol's legs or one method's card.", no_args_is_help=True)


@app.command("protocol")
@handle_errors
def show_protocol(name: str = typer.Argument(..., help="Protocol name or alias.")) -> None:
    """Print a protocol's legs: training sources, test target and evaluation settings."""
    from harness.protocols import PROTOCOLS, get_protocol

    spec = get_protocol(name)
    out.print(styled((spec.name, "bold"), f" v{spec.version}: {spec.title}"), soft_wrap=True)
    if spec.aliases:
        out.print(f"aliases: {', '.join(PROTOCOLS.aliases_of(spec.name))}")
    if spec.description:
        out.print(spec.description)
    legs = [leg.name for leg in spec.legs]
    table = key_table("leg", "train on", "test: query -> gallery", "evaluation", widths=[max(map(len, legs))])
    for leg in spec.legs:
        evaluation = spec.evaluation_for(leg)
        train = "\n".join(f"{s.dataset} [{'+'.join(s.parts)}]" for s in leg.train) or "-"
        if leg.test.splits:
            test = f"{leg.test.dataset}: frozen trials '{leg.test.splits}' ({leg.test.query_modality})"
        else:
            test = f"{leg.test.dataset}: {leg.test.query} -> {leg.test.gallery} ({leg.test.query_modality})"
        normalised = " on L2-normalised" if evaluation.normalize else ""
        settings = (
            f"junk={evaluation.junk}, {evaluation.distance}{normalised}, "
            f"max_rank={evaluation.max_rank}, rerank={evaluation.rerank}, trials={evaluation.trials}"
        )
        table.add_row(leg.name, train, test, settings)
    print_table(table)
    for paper in spec.papers:
        out.print(styled((f"as in: {paper}", "dim")), soft_wrap=True)
    for note in spec.notes:
        out.print(styled(("note:", "yellow"), f" {note}"), soft_wrap=True)


@app.command("method")
@handle_errors
def show_method(name: str = typer.Argument(..., help="Method name or alias.")) -> None:
    """Print a method's card: paper, architecture, preprocessing, embedding and checkpoints."""
    from harness.methods import get_card
    from harness.models.external import check_family

    card = get_card(name)
    check_family(card)  # a family that cannot be built fails here, not at `harness run`
    table = Table("field", "value", title=f"{card.name}: {card.title}", show_header=False)
    rows = {
        "paper": card.paper,
        "venue / year": f"{card.venue or '-'} {card.year or ''}".strip(),
        "code": card.code_url,
        "family / variant": f"{card.family} / {card.variant or 'default'}",
        "modalities": "+".join(card.modalities),
        "input (HxW)": "x".join(map(str, card.input_size)),
        "interpolation": card.interpolation,
        "normalisation": (
            "per-image nn.InstanceNorm2d(3, affine=False)"
            if card.normalization == "instance"
            else (f"mean={card.mean} std={card.std}" if card.mean else "none")
        ),
        "test feature": card.test_feature,
        "distance": f"{card.distance}{' on L2-normalised features' if card.normalize_features else ''}"
        " (its own scoring: the default; --convention common uses the protocol's)",
        "precision": card.precision,
        "needs camera ids": str(card.needs_camids),
        "variants": "; ".join(f"{v}: {card.official_configs.get(v, '-')}" for v in card.variants) or "-",
        "variant aliases": ", ".join(f"{a} = {t}" for a, t in card.variant_aliases.items()) or "-",
        "verification": card.verification,
    }
    for key, value in rows.items():
        table.add_row(key, str(value) if value is not None else "-")  # printed literally (markup off)
    for leg, entry in card.checkpoints.items():
        table.add_row(
            f"checkpoint [{leg}]",
            f"{entry.file} sha256={entry.sha256 or '?'} {entry.url or ''}",
        )
    for assumption in card.assumptions:
        table.add_row("assumption", assumption)
    out.print(table)
