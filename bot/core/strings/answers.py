"""Answers, suggestions, help, the core commands and the bot's status."""

from __future__ import annotations

from ..render import literal

# --- Answers ---

ANSWER_SOURCE = "Source : {source}"
ANSWER_SOURCE_LOCAL_FAQ = "Source : FAQ Pix de l'université"
ANSWER_SOURCE_LOCAL_DOC = "Source : documentation Pix de l'université, « {title} »"
ANSWER_FROM_DOC = "Extrait de « {title} »"
ANSWER_FOOTER = "Cette réponse vous a-t-elle aidé ? Réagissez avec 👍 ou 👎."
SUGGEST_INTRO = "Je ne suis pas certain d'avoir compris. Vouliez-vous dire :"
SUGGEST_OUTRO = (
    "Répondez par le numéro de la question qui vous intéresse. "
    "Si aucune ne convient, répondez « aucune » et je transmettrai votre question au correspondant Pix."
)
NONE_TEXT = (
    "Je n'ai pas trouvé de réponse fiable à votre question dans la FAQ ni dans la documentation Pix. "
    "Voulez-vous que je la transmette au correspondant Pix ? Répondez « oui » pour la transmettre."
)
NONE_TEXT_NO_ESCALATION = (
    "Je n'ai pas trouvé de réponse fiable à votre question dans la FAQ ni dans la documentation Pix. "
    "Vous pouvez reformuler votre question, ou consulter le site officiel : https://pix.fr/"
)
CHOICE_OUT_OF_RANGE = "Merci de répondre par un numéro entre 1 et {count}."
EMPTY_QUESTION = "Posez-moi votre question sur Pix, ou tapez « aide » pour voir ce que je sais faire."
INTERNAL_ERROR = (
    "Désolé, une erreur s'est produite de mon côté. Votre message n'est pas perdu : "
    "réessayez dans un instant ou écrivez « correspondant » pour joindre un humain."
)
FEEDBACK_THANKS_UP = "Merci pour votre retour !"
FEEDBACK_THANKS_DOWN = (
    "Merci pour votre retour. Si la réponse ne convient pas, écrivez « correspondant » "
    "pour transmettre votre question au correspondant Pix."
)
NO_ESCALATION_PENDING = "Il n'y a pas de question en attente de transmission."
ESCALATION_DECLINED = "Entendu, je ne transmets pas votre question. N'hésitez pas à la reformuler."


def answer_text(title: str, body: str, kind: str, source: str | None, footer: bool = True) -> str:
    """Markdown for a confident answer."""
    parts = [f"**{title}**" if kind == "faq" else f"*{ANSWER_FROM_DOC.format(title=title)}*", "", body.strip()]
    if source:
        parts += ["", ANSWER_SOURCE.format(source=source)]
    elif kind == "faq":
        parts += ["", ANSWER_SOURCE_LOCAL_FAQ]
    else:
        parts += ["", ANSWER_SOURCE_LOCAL_DOC.format(title=title)]
    if footer:
        parts += ["", ANSWER_FOOTER]
    return "\n".join(parts)


def suggestion_text(titles: list[str]) -> str:
    lines = [SUGGEST_INTRO, ""]
    lines += [f"{i}. {t}" for i, t in enumerate(titles, 1)]
    lines += ["", SUGGEST_OUTRO]
    return "\n".join(lines)


# --- Commands and help ---

HELP_INTRO = (
    "Bonjour ! Je suis l'assistant Pix de l'université. Posez-moi simplement votre question "
    "(par exemple : « comment inviter un collègue sur Pix Orga ? »). Je réponds à partir de la FAQ "
    "et de la documentation Pix, avec la source. Voici aussi les commandes que je comprends :"
)
HELP_ADMIN = "Commandes réservées aux correspondants Pix :"
HELP_GROUP_ROOM = "Dans un salon de groupe, mentionnez-moi ou commencez votre message par « {prefix} »."
UNKNOWN_COMMAND = "Je ne connais pas la commande « {name} »."
QUESTION_TOO_LONG = ("Votre message est très long : je n'en ai lu que les {limit} premiers caractères "
                     "pour vous répondre.")
NOT_ALLOWED = "Cette commande est réservée aux correspondants Pix."
NOT_ALLOWED_MODERATORS = "Cette commande est réservée aux modérateurs du salon et aux correspondants Pix."
ONLY_IN_DIRECT = "Cette commande s'utilise dans une discussion directe avec moi."
ONLY_IN_ROOM = "Cette commande s'utilise dans un salon de groupe."
ARGUMENTS_REFUSED = "{problem} Utilisation : `{usage}`."
RELAY_NOT_CORRESPONDENT = ("Seuls les correspondants Pix désignés dans la configuration répondent aux tickets : "
                           "votre message n'a pas été transmis au demandeur.")
HELP_CMD_AIDE = "affiche cette aide"
HELP_CMD_RELOAD = "recharge la FAQ et la documentation, puis reconstruit l'index"
HELP_CMD_STATUS = "état du bot : disponibilité, salons, taille de l'index, dernières erreurs"
RELOAD_OK = "Index rechargé : {items} éléments ({faq} entrées de FAQ, {docs} passages)."
RELOAD_FAILED = "Rechargement refusé, l'index précédent reste en service :\n{errors}"


def status_text(uptime: str, rooms: int, items: int, faq: int, docs: int, errors: list[str],
                undelivered: int = 0, latest_undelivered: list[tuple[str, str]] | None = None) -> str:
    lines = [
        "**État du bot Pix**",
        f"- En service depuis : {uptime}",
        f"- Salons : {rooms}",
        f"- Index : {items} éléments ({faq} entrées de FAQ, {docs} passages)",
    ]
    if undelivered:
        lines.append(f"- Messages refusés par le serveur, non délivrés : {undelivered} ; les derniers :")
        lines += [f"  - salon {literal(room)} : {literal(error)}" for room, error in latest_undelivered or []]
    if errors:
        lines.append("- Dernières erreurs :")
        lines += [f"  - {literal(e)}" for e in errors]
    else:
        lines.append("- Aucune erreur récente")
    return "\n".join(lines)
