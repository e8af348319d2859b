"""What the bot says about the content gaps (« lacunes »)."""

from __future__ import annotations

from ..render import literal

HELP_CMD_GAPS = "les questions restées sans bonne réponse, regroupées par sujet (ce qu'il reste à écrire)"


def gaps_text(gaps: list, days: int, limit: int = 10) -> str:
    """``gaps``: ``Gap`` objects, largest first."""
    if not gaps:
        return f"Aucune question sans bonne réponse ces {days} derniers jours."
    total = sum(g.size for g in gaps)
    lines = [f"**Manques de contenu ({days} derniers jours)** : {total} question(s) sans bonne réponse "
             f"(aucune réponse, suggestions seulement, ou 👎), en {len(gaps)} sujet(s).", ""]
    for n, gap in enumerate(gaps[:limit], 1):
        examples = " ; ".join(f"« {literal(q)} »" for q in gap.questions[:3])
        nearest = (f"entrée la plus proche : `{gap.nearest_id}` ({literal(gap.nearest_title or '')}, score "
                   f"{gap.score:.2f})" if gap.nearest_id else "aucune entrée proche")
        lines.append(f"{n}. **{gap.size} question(s)** : {examples} — {nearest}")
    if len(gaps) > limit:
        lines += ["", f"… et {len(gaps) - limit} autre(s) sujet(s) : `pixbot lacunes` les liste tous."]
    return "\n".join(lines)


def report_markdown(months: list, start: str, end: str, retention_days: int) -> str:
    """The activity report's questions section (``Month`` objects), as Markdown."""
    total = sum(m.questions for m in months)
    answered = sum(m.outcomes["answer"] for m in months)
    lines = [f"# Rapport d'activité de l'assistant Pix — du {start} au {end}", "",
             "## Questions posées", ""]
    if total:
        lines.append(f"{total} question(s), dont {answered} avec une réponse directe "
                     f"({round(100 * answered / total)} %).")
    else:
        lines.append("Aucune question sur la période.")
    lines += ["", "| mois | questions | réponses directes | suggestions | sans réponse | 👍 | 👎 |",
              "|---|---|---|---|---|---|---|"]
    for m in months:
        mark = " *" if m.deleted else ""
        lines.append(f"| {m.key}{mark} | {m.questions} | {m.outcomes['answer']} | {m.outcomes['suggest']} | "
                     f"{m.outcomes['none']} | {m.thumbs_up} | {m.thumbs_down} |")
    if any(m.deleted for m in months):
        lines += ["", f"\\* Mois en tout ou partie antérieurs à la durée de conservation ({retention_days} jours) : "
                      "les données de cette période ont été supprimées, les chiffres sont incomplets."]
    lines += ["", "Chiffres agrégés : le rapport ne contient ni nom, ni identifiant, ni texte de question."]
    return "\n".join(lines)
