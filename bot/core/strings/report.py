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
