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
    return "\n".join(lines)


REPORT_PRIVACY_NOTE = "Chiffres agrégés : le rapport ne contient ni nom, ni identifiant, ni texte de question."


REPORT_QUESTIONS_TITLE = "Questions posées"
REPORT_TICKETS_TITLE = "Questions transmises au correspondant (tickets)"
REPORT_NEWS_TITLE = "Actualités Pix"
TICKET_STATE_NAMES = {"open": "ouverts", "taken": "pris en charge", "answered": "répondus", "closed": "clos"}


def _hours(value) -> str:
    return "—" if value is None else f"{value:.1f} h".replace(".", ",")


def report_tickets(total: int, opened: dict, closed: dict, states: dict, figures: dict) -> str:
    if not total:
        return "Aucun ticket ouvert sur la période."
    lines = [f"{total} ticket(s) ouvert(s) sur la période ; "
             + ", ".join(f"{n} {TICKET_STATE_NAMES.get(state, state)}" for state, n in sorted(states.items())) + ".",
             "",
             f"Délai jusqu'à la première réponse d'un correspondant : médiane {_hours(figures['answer_median'])}, "
             f"9 sur 10 en moins de {_hours(figures['answer_p90'])}.",
             f"Délai jusqu'à la clôture : médiane {_hours(figures['close_median'])}, "
             f"9 sur 10 en moins de {_hours(figures['close_p90'])}.",
             "", "| mois | ouverts | clos |", "|---|---|---|"]
    for month in sorted(set(opened) | set(closed)):
        lines.append(f"| {month} | {opened.get(month, 0)} | {closed.get(month, 0)} |")
    return "\n".join(lines)


def report_news(people: int, rooms: int, digests: int, sent: int, recalled: int) -> str:
    return (f"Abonnés aujourd'hui : {people} personne(s) et {rooms} salon(s). Sur la période : {digests} point(s) "
            f"d'actualités envoyé(s), {sent} annonce(s) envoyée(s), dont {recalled} rappelée(s).")
