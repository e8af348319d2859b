"""Tickets: questions passed on to the correspondents, the ticket threads, the learned FAQ,
and `pixbot tickets`."""

from __future__ import annotations

from ..render import literal

TICKET_STATES = {"open": "ouvert", "assigned": "pris en charge", "answered": "répondu", "closed": "clos"}
HELP_CMD_CORRESPONDANT = "transmet votre question au correspondant Pix (un humain vous répondra)"
HELP_CMD_MY_QUESTIONS = "liste les questions que vous avez transmises et leur état"
HELP_CMD_TICKETS = "liste les tickets en cours (« tickets tous » : y compris les tickets clos)"
HELP_CMD_TAKE = "dans le fil d'un ticket : le prendre en charge"
HELP_CMD_ASSIGN = "dans le fil d'un ticket : le confier à un autre correspondant"
HELP_CMD_NOTE = "dans le fil d'un ticket : note interne, jamais transmise au demandeur"
HELP_CMD_CLOSE = "dans le fil d'un ticket : le clore (le demandeur est prévenu)"
HELP_CMD_REOPEN = "dans le fil d'un ticket : le rouvrir"
HELP_CMD_FAQ = ("dans le fil d'un ticket : ajoute la question et votre réponse à la FAQ "
                "(le bot saura y répondre aussitôt)")

TICKET_ASK_QUESTION = (
    "Je vais transmettre votre demande au correspondant Pix. Quelle est votre question ? "
    "Écrivez-la en une phrase, je vous demanderai confirmation avant de l'envoyer."
)
TICKET_ALREADY = (
    "Votre question est déjà transmise au correspondant Pix (demande n° {n}). "
    "Écrivez dans ce fil pour ajouter des précisions : elles lui seront transmises."
)
TICKET_REOPENED_ASKER = (
    "Votre demande n° {n} est rouverte et votre message a été transmis au correspondant Pix."
)
TICKET_THREAD_ONLY = (
    "Cette commande s'utilise dans le fil d'un ticket, dans le salon des correspondants "
    "(ou ailleurs en donnant le numéro du ticket, par exemple « clore 12 »)."
)
TICKET_ASSIGN_USAGE = "Indiquez à qui confier le ticket, par exemple : « assigner @prenom.nom:serveur.fr »."
TICKET_NOT_CORRESPONDENT = "{user} ne fait pas partie des correspondants Pix déclarés : ticket non assigné."
TICKET_IS_CLOSED = "Le ticket n° {n} est clos. Écrivez « rouvrir » pour le rouvrir."
TICKET_NOT_CLOSED = "Le ticket n° {n} n'est pas clos."
TICKET_ASSIGNED = "Ticket n° {n} pris en charge par {name}."
TICKET_TAKEN_ASKER = "Votre demande n° {n} a été prise en charge par un correspondant Pix."
TICKET_NOTE_USAGE = "Écrivez la note après la commande, par exemple : « note voir avec la scolarité »."
TICKET_NOTE_SAVED = "Note interne enregistrée sur le ticket n° {n} (elle n'est pas transmise au demandeur)."
TICKET_CLOSED_CORR = "Ticket n° {n} clos. Le demandeur en est informé."
TICKET_CLOSED_ASKER = (
    "Votre demande n° {n} a été close par le correspondant Pix. Si la question n'est pas réglée, "
    "écrivez simplement dans ce fil : elle sera rouverte."
)
TICKET_REOPENED_CORR = "Ticket n° {n} rouvert."
TICKET_AUTO_CLOSED_ASKER = (
    "Sans nouvelles de votre part depuis {days} jours, votre demande n° {n} est close. "
    "Si la question n'est pas réglée, écrivez simplement dans ce fil : elle sera rouverte."
)
TICKET_AUTO_CLOSED_CORR = "Ticket n° {n} clos automatiquement : répondu et sans nouvelles depuis {days} jours."
TICKET_FORGOTTEN_CORR = (
    "Le demandeur du ticket n° {n} a demandé la suppression de ses données : le ticket est supprimé "
    "et ce fil n'est plus relayé."
)

TICKET_FORGOTTEN_LEARNED = (
    "L'entrée « {id} » de la FAQ apprise reprenait mot pour mot la question du demandeur du ticket n° {n}, "
    "qui a demandé la suppression de ses données : elle est retirée. Vous pouvez la réécrire avec vos mots "
    "(commande « faq » ou fichier de la FAQ)."
)
TICKET_FORGOTTEN_VARIANT = (
    "L'entrée « {id} » de la FAQ apprise perd la formulation du demandeur du ticket n° {n}, qui a demandé "
    "la suppression de ses données ; le reste de l'entrée est conservé."
)

FAQ_NO_ANSWER = (
    "Je n'ai pas encore de réponse à enregistrer pour ce ticket. Répondez d'abord au demandeur dans ce fil, "
    "ou précisez-la : « faq question: … | variantes: … ; … | réponse: … »."
)
FAQ_REFUSED = "Entrée de FAQ refusée, le fichier n'a pas été modifié :\n{errors}"
FAQ_NOT_INDEXED = (
    "L'entrée « {id} » est enregistrée, mais l'index n'a pas pu être rechargé à cause d'erreurs "
    "dans les sources (l'index précédent reste en service) :\n{errors}"
)
FAQ_OUTSIDE_FAQ_DIR = (
    "Attention : le fichier {file} n'est pas dans le dossier de la FAQ, l'entrée ne sera pas utilisée "
    "pour répondre (vérifiez tickets.faq_file dans la configuration)."
)
FAQ_FILE_HEADER = (
    "# FAQ apprise : entrées ajoutées par les correspondants Pix avec la commande « faq »\n"
    "# dans le fil d'un ticket. Ce fichier est réécrit par le bot ; il peut aussi être modifié à la main\n"
    "# (même format que les autres fichiers de la FAQ).\n"
)


def _quote(text: str) -> str:
    return "\n".join(f"> {literal(line)}" if line.strip() else ">" for line in text.strip().split("\n"))


def _date(timestamp: float, timezone: str) -> str:
    """Day and time in the configured time zone (the server's own may be anything, often UTC)."""
    import datetime as _dt
    from zoneinfo import ZoneInfo

    return _dt.datetime.fromtimestamp(timestamp, ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")


def ticket_offer(question: str) -> str:
    return ("Voulez-vous que je transmette cette question au correspondant Pix ?\n\n" + _quote(question)
            + "\n\nRépondez « oui » pour la transmettre, « non » sinon.")


def ticket_created(number: int, announced: bool) -> str:
    text = f"Votre question est transmise au correspondant Pix (demande n° {number}). "
    if announced:
        text += ("Sa réponse arrivera dans ce fil ; vous pouvez y ajouter des précisions, elles lui seront "
                 "transmises. Écrivez « mes questions » pour suivre vos demandes.")
    else:
        text += "Écrivez « mes questions » pour suivre vos demandes."
    return text


def ticket_announcement(number: int, who: str, asker: str, question: str, guesses: list[str],
                        mentions: list[str]) -> str:
    """``mentions``: the correspondents, already written as the platform names people."""
    lines = [f"**Ticket n° {number}** : question de {literal(who)} ({literal(asker)})", "", _quote(question), ""]
    if guesses:
        lines.append("Pistes trouvées par le bot (jugées insuffisantes) :")
        lines += [f"- {g}" for g in guesses]
        lines.append("")
    if mentions:
        lines.append("Correspondants : " + ", ".join(mentions))  # as the platform names them (links)
        lines.append("")
    lines.append(
        "Répondez dans ce fil : vos messages sont transmis au demandeur, signés de votre nom. "
        "Commandes : `prendre`, `assigner @personne`, `note …` (interne, jamais transmise), `clore`, "
        "`rouvrir`, `faq` (ajoute la question et votre réponse à la FAQ)."
    )
    return "\n".join(lines)


def relay_to_asker(name: str, text: str) -> str:
    return f"**{literal(name)}** (correspondant Pix) :\n\n{text}"


def relay_to_corr(number: int, who: str, text: str, reopened: bool) -> str:
    head = f"**{literal(who)}** (demandeur, ticket n° {number}"
    head += ", ticket rouvert) :" if reopened else ") :"
    return f"{head}\n\n{literal(text)}"


def faq_learned(entry_id: str, file: str, question: str, variants: list[str], answer: str) -> str:
    lines = [f"Entrée « {entry_id} » ajoutée à {file} et indexée : le bot répondra désormais à cette question.",
             "", f"**Question** : {literal(question)}"]
    if variants:
        lines.append("**Variantes** : " + " ; ".join(literal(v) for v in variants))
    lines += ["**Réponse** :", "", answer, "",
              "Pour corriger : « faq question: … | variantes: … ; … | réponse: … » dans ce fil."]
    return "\n".join(lines)


def tickets_list(rows: list[tuple], everything: bool, timezone: str) -> str:
    """rows: (number, state, asker, assignee, question, created_at)."""
    if not rows:
        return "Aucun ticket." if everything else "Aucun ticket en cours."
    lines = ["**Tickets**" if everything else "**Tickets en cours**", ""]
    for number, state, who, assignee, question, created in rows:
        short = question if len(question) <= 80 else question[:77] + "…"
        taken = f", {literal(assignee)}" if assignee else ""
        lines.append(f"- n° {number} ({TICKET_STATES.get(state, state)}{taken}) {literal(who)}, "
                     f"{_date(created, timezone)} : {literal(short)}")
    return "\n".join(lines)


def my_questions(rows: list[tuple], timezone: str) -> str:
    """rows: (number, state, question, created_at)."""
    if not rows:
        return "Vous n'avez transmis aucune question au correspondant Pix."
    lines = ["**Vos questions transmises au correspondant Pix**", ""]
    for number, state, question, created in rows:
        short = question if len(question) <= 80 else question[:77] + "…"
        lines.append(f"- n° {number}, {_date(created, timezone)} : {literal(short)} ({TICKET_STATES.get(state, state)})")
    return "\n".join(lines)


CLI_TICKETS_TITLE = "Tickets"
CLI_TICKETS_COLUMNS = ("N°", "État", "Demandeur", "Assigné à", "Créé le", "Question")
CLI_TICKETS_NONE = "Aucun ticket."
CLI_TICKET_NOT_FOUND = "Ticket n° {n} introuvable."
CLI_TICKET_FIELDS = {
    "state": "État", "asker": "Demandeur", "room": "Salon", "assignee": "Assigné à",
    "created_at": "Créé le", "activity_at": "Dernière activité", "closed_at": "Clos le",
    "learned_id": "Entrée de FAQ apprise",
}
CLI_TICKET_MESSAGE_KINDS = {"question": "question", "asker": "demandeur", "correspondent": "correspondant",
                            "note": "note interne", "event": "événement"}
