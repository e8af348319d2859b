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
             f"(aucune réponse, suggestions seulement, 👎, ou transmise au correspondant), "
             f"en {len(gaps)} sujet(s).", ""]
    for n, gap in enumerate(gaps[:limit], 1):
        examples = " ; ".join(f"« {literal(q)} »" for q in gap.questions[:3])
        nearest = (f"entrée la plus proche : `{gap.nearest_id}` ({literal(gap.nearest_title or '')}, score "
                   f"{gap.score:.2f})" if gap.nearest_id else "aucune entrée proche")
        answered = f" — {GAP_ANSWERED_IN_TICKET}" if gap.answers else ""
        lines.append(f"{n}. **{gap.size} question(s)** : {examples} — {nearest}{answered}")
    if len(gaps) > limit:
        lines += ["", f"… et {len(gaps) - limit} autre(s) sujet(s) : `pixbot lacunes` les liste tous."]
    return "\n".join(lines)


def _share(part: int, total: int) -> str:
    return f"{round(100 * part / total)} %" if total else "—"


def report_title(start: str, end: str) -> str:
    return f"Rapport d'activité de l'assistant Pix — du {start} au {end}"


def report_questions(months: list, retention_days: int) -> str:
    """The activity report's questions part (``Month`` objects), as Markdown: a summary, then the table."""
    total = sum(m.questions for m in months)
    answered = sum(m.outcomes["answer"] for m in months)
    suggested = sum(m.outcomes["suggest"] for m in months)
    unanswered = sum(m.outcomes["none"] for m in months)
    handed_on = sum(m.handed_on for m in months)
    lines = []
    if total:
        lines.append(f"{total} question(s), dont {answered} avec une réponse directe ({_share(answered, total)}), "
                     f"{suggested} avec des suggestions ({_share(suggested, total)}) et {unanswered} sans réponse "
                     f"({_share(unanswered, total)}) ; {handed_on} transmise(s) au correspondant "
                     f"({_share(handed_on, total)}).")
    else:
        lines.append("Aucune question sur la période.")
    lines += ["", "| mois | questions | réponses directes | suggestions | sans réponse | transmises | avis positifs | "
              "avis négatifs |",
              "|---|---|---|---|---|---|---|---|"]
    for m in months:
        mark = " *" if m.deleted else ""
        lines.append(f"| {m.key}{mark} | {m.questions} | {m.outcomes['answer']} | {m.outcomes['suggest']} | "
                     f"{m.outcomes['none']} | {m.handed_on} | {m.thumbs_up} | {m.thumbs_down} |")
    if any(m.deleted for m in months):
        lines += ["", f"\\* Mois en tout ou partie antérieurs à la durée de conservation ({retention_days} jours) : "
                      "les données de cette période ont été supprimées, les chiffres sont incomplets."]
    return "\n".join(lines)


REPORT_FEEDBACK_TITLE = "Avis sur les réponses"
REPORT_TOPICS_TITLE = "Questions par thème"
REPORT_CONTENT_TITLE = "Contenu utilisé et jamais utilisé"
REPORT_NO_TOPIC = "sans thème"
REPORT_REMOVED_ENTRY = "entrée retirée depuis"


def _entry(use) -> str:
    """An FAQ entry by its id and question; a documentation passage by its page and section."""
    if use.title is None:
        return f"`{use.id}` ({REPORT_REMOVED_ENTRY})"
    if use.kind == "doc":
        return f"{literal(use.title)} (documentation)"
    return f"`{use.id}` : {literal(use.title)}"


def report_feedback(months: list, most_down: list) -> str:
    up = sum(m.thumbs_up for m in months)
    down = sum(m.thumbs_down for m in months)
    if not up + down:
        return "Aucun avis sur la période."
    lines = [f"{up + down} avis (pouce levé ou baissé sous une réponse) : {up} positif(s) et {down} négatif(s) "
             f"({_share(up, up + down)} de réponses jugées utiles)."]
    if most_down:
        lines += ["", "Entrées ayant reçu le plus d'avis négatifs :", "",
                  "| entrée | avis négatifs | avis positifs | réponses directes |",
                  "|---|---|---|---|"]
        lines += [f"| {_entry(u)} | {u.down} | {u.up} | {u.answers} |" for u in most_down]
    return "\n".join(lines)


def topic_name(topic: str | None) -> str:
    if topic is None:
        return REPORT_REMOVED_ENTRY
    return topic or REPORT_NO_TOPIC


def report_topics(figures) -> str:
    if not figures.answered:
        return "Aucune réponse directe sur la période : pas de thème à compter."
    lines = [f"Thème de l'entrée qui a répondu, pour les {figures.answered} réponse(s) directe(s) "
             "(le premier thème de l'entrée de FAQ ou de la page de documentation).", "",
             "| thème | réponses directes | part |", "|---|---|---|"]
    lines += [f"| {literal(topic_name(t))} | {n} | {_share(n, figures.answered)} |" for t, n in figures.by_topic]
    return "\n".join(lines)


def report_content(figures, listed: int = 20) -> str:
    lines = []
    if figures.top_entries:
        lines += ["Entrées qui ont le plus répondu (réponses directes) :", "",
                  "| entrée | réponses directes | avis positifs | avis négatifs |", "|---|---|---|---|"]
        lines += [f"| {_entry(u)} | {u.answers} | {u.up} | {u.down} |" for u in figures.top_entries]
        lines.append("")
    if figures.top_pages:
        lines += ["Pages de documentation les plus utilisées :", "", "| page | réponses directes |", "|---|---|"]
        lines += [f"| {literal(title)} | {n} |" for title, n in figures.top_pages]
        lines.append("")
    lines.append(f"Jamais utilisées sur la période (ni réponse directe, ni avis) : {len(figures.unused_faq)} entrée(s) "
                 f"de FAQ sur {figures.faq_total} et {len(figures.unused_pages)} page(s) de documentation sur "
                 f"{figures.pages_total}. Les suggestions choisies dans une liste ne sont pas comptées.")
    for what, names in (("Entrées de FAQ", [f"`{i}`" for i in figures.unused_faq]),
                        ("Pages", [literal(t) for t in figures.unused_pages])):
        if names:
            more = f" … et {len(names) - listed} autre(s) (voir le fichier CSV)" if len(names) > listed else ""
            lines += ["", f"{what} jamais utilisées : " + ", ".join(names[:listed]) + more + "."]
    return "\n".join(lines)


REPORT_PRIVACY_NOTE = "Chiffres agrégés : le rapport ne contient ni nom, ni identifiant, ni texte de question."


REPORT_QUESTIONS_TITLE = "Questions posées"
REPORT_TICKETS_TITLE = "Questions transmises au correspondant (tickets)"
REPORT_NEWS_TITLE = "Actualités Pix"
TICKET_STATE_NAMES = {"open": "ouverts", "taken": "pris en charge", "answered": "répondus", "closed": "clos"}


def _hours(value) -> str:
    return "—" if value is None else f"{value:.1f} h".replace(".", ",")


def report_correspondent(n: int) -> str:
    return f"correspondant {n}"


REPORT_UNASSIGNED = "non pris en charge"


def report_tickets(total: int, opened: dict, closed: dict, states: dict, figures: dict,
                   by_correspondent: list[int] = (), unassigned: int = 0) -> str:
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
    lines += ["", "Tickets par correspondant (numérotés du plus au moins chargé ; le rapport ne nomme personne) :", "",
              "| correspondant | tickets pris en charge |", "|---|---|"]
    lines += [f"| {report_correspondent(n)} | {count} |" for n, count in enumerate(by_correspondent, 1)]
    if unassigned:
        lines.append(f"| {REPORT_UNASSIGNED} | {unassigned} |")
    return "\n".join(lines)


def report_news(people: int, rooms: int, digests: int, sent: int, recalled: int, people_by_month: dict | None = None,
                rooms_by_month: dict | None = None) -> str:
    text = (f"Abonnés aujourd'hui : {people} personne(s) et {rooms} salon(s). Sur la période : {digests} point(s) "
            f"d'actualités envoyé(s), {sent} annonce(s) envoyée(s), dont {recalled} rappelée(s).")
    if people_by_month:
        text += ("\n\n| mois | abonnés en fin de mois (personnes) | abonnés en fin de mois (salons) |\n|---|---|---|\n"
                 + "\n".join(f"| {m} | {people_by_month[m]} | {(rooms_by_month or {}).get(m, 0)} |"
                             for m in people_by_month)
                 + "\n\nLes abonnements sont comptés sans identité, de leur création à leur fin "
                   "(désabonnement, salon quitté ou « oublier mes données »).")
    return text


# charts (matplotlib): titles, axes, series, month names
REPORT_MONTHS = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
REPORT_CHART_QUESTIONS = "Questions par mois"
REPORT_CHART_FEEDBACK = "Avis par mois"
REPORT_CHART_TICKETS = "Tickets par mois"
REPORT_CHART_SUBSCRIBERS = "Abonnés aux actualités (fin de mois)"
REPORT_AXIS_QUESTIONS = "questions"
REPORT_AXIS_FEEDBACK = "avis"
REPORT_AXIS_TICKETS = "tickets"
REPORT_AXIS_SUBSCRIBERS = "abonnés"
REPORT_SERIES_ANSWER = "réponse directe"
REPORT_SERIES_SUGGEST = "suggestions"
REPORT_SERIES_NONE = "sans réponse"
REPORT_SERIES_HANDED_ON = "transmises au correspondant"
REPORT_SERIES_UP = "avis positifs (pouce levé)"
REPORT_SERIES_DOWN = "avis négatifs (pouce baissé)"
REPORT_SERIES_OPENED = "ouverts"
REPORT_SERIES_CLOSED = "clos"
REPORT_SERIES_PEOPLE = "personnes"
REPORT_SERIES_ROOMS = "salons"
REPORT_SERIES_DELETED = "données supprimées (conservation)"
REPORT_HTML_GENERATED = "Rapport produit par pixbot le {date}."


HELP_CMD_REPORT = ("le rapport d'activité : résumé, graphique des questions et page complète (les 12 derniers mois, "
                   "ou « rapport 3 » pour 3 mois, « rapport 2026 », « rapport 2026-03 »)")
REPORT_BAD_PERIOD = ("Indiquez une période : un nombre de mois entre 1 et 36 (« rapport 6 »), une année (« rapport 2026 ») "
                     "ou un mois (« rapport 2026-03 »), pas dans le futur.")
REPORT_CHAT_PAGE = ("Le rapport complet, à ouvrir dans un navigateur (page autonome, graphiques inclus). "
                    "Au terminal : `pixbot rapport` écrit aussi les fichiers CSV.")


def report_chat_summary(report) -> str:
    """The report in a few lines, for the chat (``build.Report``)."""
    months = report.months
    total = sum(m.questions for m in months)
    answered = sum(m.outcomes["answer"] for m in months)
    suggested = sum(m.outcomes["suggest"] for m in months)
    unanswered = sum(m.outcomes["none"] for m in months)
    handed_on = sum(m.handed_on for m in months)
    up = sum(m.thumbs_up for m in months)
    down = sum(m.thumbs_down for m in months)
    c = report.content
    lines = [f"**{report_title(report.start.strftime('%d/%m/%Y'), report.end.strftime('%d/%m/%Y'))}**", ""]
    if total:
        lines.append(f"- {total} question(s) : {_share(answered, total)} de réponses directes, {_share(suggested, total)} "
                     f"de suggestions, {_share(unanswered, total)} sans réponse ; {handed_on} transmise(s) au "
                     "correspondant.")
    else:
        lines.append("- Aucune question sur la période.")
    lines.append(f"- Avis : {up} positif(s), {down} négatif(s).")
    if c.by_topic:
        topic, n = c.by_topic[0]
        lines.append(f"- Thème le plus demandé : {literal(topic_name(topic))} ({_share(n, c.answered)} des réponses "
                     "directes).")
    lines.append(f"- Jamais utilisées : {len(c.unused_faq)} entrée(s) de FAQ sur {c.faq_total}, "
                 f"{len(c.unused_pages)} page(s) de documentation sur {c.pages_total}.")
    if any(m.deleted for m in months):
        lines.append(f"- Une partie de la période dépasse la durée de conservation ({report.retention_days} jours) : "
                     "ces données ont été supprimées, les chiffres sont incomplets.")
    lines += ["", "Le graphique ci-dessous montre les questions par mois ; la page complète suit."]
    return "\n".join(lines)


# FAQ drafts from the content gaps (``pixbot lacunes --brouillons``)
DRAFTS_HEADER = """Brouillons d'entrées de FAQ, tirés des questions transmises au correspondant et de sa réponse
(pixbot lacunes --brouillons). Rien ici n'est publié : relisez une entrée, corrigez-la, puis
copiez-la dans un fichier du dossier faq/ (ou utilisez « faq » dans le fil du ticket).
pixbot check vérifie ce fichier comme la FAQ. Il est réécrit à chaque pixbot lacunes --brouillons."""
FORGET_DRAFTS = "brouillons d'entrées de FAQ citant vos questions"


def draft_comment(size: int, nearest_id: str | None, score: float | None) -> str:
    nearest = f"entrée existante la plus proche : {nearest_id} (score {score:.2f})" if nearest_id else \
        "aucune entrée existante proche"
    return f"{size} question(s) dans ce groupe ; {nearest}"


def drafts_written(count: int, path: str) -> str:
    if not count:
        return (f"Aucun groupe de questions n'a reçu de réponse dans un ticket : pas de brouillon "
                f"(fichier vidé : {path}).")
    return (f"{count} brouillon(s) d'entrée de FAQ écrit(s) dans {path} : relisez-les ; rien n'est publié "
            "sans votre action (copie dans faq/ ou « faq » dans le fil du ticket).")


DRAFTS_CHECK_PREFIX = "Brouillons de FAQ"
GAP_ANSWERED_IN_TICKET = "répondu dans un ticket : brouillon possible (`pixbot lacunes --brouillons`)"


# the CSV files' headers and words (one file per table of the report)
REPORT_YES = "oui"
REPORT_NO = "non"
REPORT_CSV_MONTHS = ["mois", "questions", "réponses directes", "suggestions", "sans réponse",
                     "part de réponses directes", "transmises au correspondant", "avis positifs", "avis négatifs",
                     "données en partie supprimées (conservation)"]
REPORT_CSV_TOPICS = ["thème", "réponses directes"]
REPORT_CSV_TOP_ENTRIES = ["entrée", "titre", "réponses directes", "avis positifs", "avis négatifs"]
REPORT_CSV_TOP_PAGES = ["page", "réponses directes"]
REPORT_CSV_MOST_DOWN = ["entrée", "titre", "avis négatifs", "avis positifs", "réponses directes"]
REPORT_CSV_UNUSED = ["type", "entrée ou page"]
REPORT_CSV_KIND_FAQ = "faq"
REPORT_CSV_KIND_DOC = "documentation"
REPORT_CSV_TICKETS = ["mois", "tickets ouverts", "tickets clos"]
REPORT_CSV_BY_CORRESPONDENT = ["correspondant", "tickets pris en charge"]
REPORT_CSV_NEWS = ["abonnés (personnes)", "abonnés (salons)", "points d'actualités envoyés", "annonces envoyées",
                   "annonces rappelées"]
REPORT_CSV_SUBSCRIBERS = ["mois", "abonnés en fin de mois (personnes)", "abonnés en fin de mois (salons)"]
REPORT_CSV_GAPS = ["groupe", "questions", "entrée la plus proche", "titre", "score", "répondu dans un ticket"]

# what `pixbot rapport` and `pixbot lacunes` say about their arguments
REPORT_CLI_FROM_AFTER_TO = "--from doit précéder --to"
REPORT_CLI_BAD_DATE = "date attendue au format AAAA-MM-JJ : {text!r}"
REPORT_CLI_BAD_FORMAT = "formats possibles : {formats} (séparés par des virgules)"
GAPS_BAD_DAYS = "Indiquez un nombre de jours entre 1 et 3650."

# the content gaps in the report (``pixbot rapport --lacunes``): sizes and nearest entries, no question text
REPORT_GAPS_TITLE = "Manques de contenu"


def report_gaps(gaps: list, listed: int = 15) -> str:
    if not gaps:
        return "Aucune question sans bonne réponse sur la période."
    total = sum(g.size for g in gaps)
    lines = [f"{total} question(s) sans bonne réponse (aucune réponse, suggestions seulement, 👎, ou transmise au "
             f"correspondant), regroupées par sens en {len(gaps)} sujet(s). Le rapport ne cite pas les questions : "
             "`pixbot lacunes` les montre au correspondant.", "",
             "| sujet | questions | entrée existante la plus proche | score | répondu dans un ticket |",
             "|---|---|---|---|---|"]
    for n, gap in enumerate(gaps[:listed], 1):
        nearest = f"`{gap.nearest_id}` : {literal(gap.nearest_title or '')}" if gap.nearest_id else "aucune"
        score = f"{gap.score:.2f}".replace(".", ",") if gap.score is not None else "—"
        lines.append(f"| {n} | {gap.size} | {nearest} | {score} | {REPORT_YES if gap.answers else REPORT_NO} |")
    if len(gaps) > listed:
        lines += ["", f"… et {len(gaps) - listed} autre(s) sujet(s) (voir le fichier CSV)."]
    return "\n".join(lines)
