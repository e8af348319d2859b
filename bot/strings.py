"""Everything the bot says to people, in French (vouvoiement), in one place for review.

Code elsewhere never builds user-facing French sentences itself: it picks a constant or calls a
small function from here. Markdown is allowed (adapters render it to HTML where they can).
"""

from __future__ import annotations

# --- Source loading (shown to the correspondent by `pixbot index` and the `recharger` command) ---

SRC_NOT_UTF8 = "le fichier n'est pas encodé en UTF-8 (octet {pos})"
SRC_BAD_YAML = "YAML invalide : {problem}"
SRC_BAD_FRONT_MATTER = "en-tête YAML invalide : {problem}"
SRC_FRONT_MATTER_NOT_MAPPING = "l'en-tête YAML doit être une suite de clés (title, source, topics)"
SRC_EMPTY_FILE = "fichier vide, ignoré"
SRC_FAQ_NOT_LIST = "le fichier doit contenir une liste d'entrées (chaque entrée commence par « - id: »)"
SRC_ENTRY_NOT_MAPPING = "l'entrée doit être une suite de clés (id, question, answer…)"
SRC_UNKNOWN_KEY = "clé inconnue « {key} », ignorée"
SRC_MISSING_FIELD = "champ « {field} » manquant ou vide"
SRC_NOT_TEXT = "le champ « {field} » doit être un texte"
SRC_BAD_ID = "identifiant « {id} » invalide : lettres minuscules, chiffres et tirets seulement"
SRC_DUPLICATE_ID = "identifiant « {id} » déjà utilisé dans {other}"
SRC_NOT_A_LIST = "le champ « {what} » doit être une liste de textes"
SRC_BAD_URL = "source « {value} » : adresse web (http/https) ou mailto attendue"


def source_problem(file: str, message: str, entry: str | None, line: int | None) -> str:
    where = file
    if line is not None:
        where += f", ligne {line}"
    if entry:
        where += f", entrée {entry}"
    return f"{where} : {message}"


INDEX_REFUSED = "Index non mis à jour : {count} erreur(s) dans les sources. L'index précédent reste en service."
INDEX_UP_TO_DATE = "Index à jour : rien n'a changé ({items} éléments)."
INDEX_BUILT = "Index reconstruit : {items} éléments ({faq} entrées de FAQ, {docs} passages de documentation)."
INDEX_CHANGES = "Modifications : {added} ajouté(s), {changed} modifié(s), {removed} supprimé(s)."
INDEX_EMBEDDED = "Textes encodés : {new} nouveaux, {cached} repris du cache."

# --- Answers ---

ANSWER_SOURCE = "Source : {source}"
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
NOT_ALLOWED = "Cette commande est réservée aux correspondants Pix."
HELP_CMD_AIDE = "affiche cette aide"
HELP_CMD_RELOAD = "recharge la FAQ et la documentation, puis reconstruit l'index"
HELP_CMD_STATUS = "état du bot : disponibilité, salons, taille de l'index, dernières erreurs"
RELOAD_OK = "Index rechargé : {items} éléments ({faq} entrées de FAQ, {docs} passages)."
RELOAD_FAILED = "Rechargement refusé, l'index précédent reste en service :\n{errors}"


def status_text(uptime: str, rooms: int, items: int, faq: int, docs: int, errors: list[str]) -> str:
    lines = [
        "**État du bot Pix**",
        f"- En service depuis : {uptime}",
        f"- Salons : {rooms}",
        f"- Index : {items} éléments ({faq} entrées de FAQ, {docs} passages)",
    ]
    if errors:
        lines.append("- Dernières erreurs :")
        lines += [f"  - {e}" for e in errors]
    else:
        lines.append("- Aucune erreur récente")
    return "\n".join(lines)


# --- Terminal chat ---

CHAT_WELCOME = (
    "Assistant Pix (terminal). Posez votre question, tapez « aide » pour l'aide, "
    "ou « quitter » pour sortir."
)
CHAT_BYE = "Au revoir !"
CHAT_LOADING = "Chargement de l'index…"

# --- Command-line tool ---

CLI_CONFIG_ERROR = "Erreur de configuration : {error}"

# --- Matrix adapter ---

MATRIX_CANNOT_DECRYPT = (
    "Je ne parviens pas à lire votre message : il est chiffré et je n'ai pas reçu la clé "
    "pour le déchiffrer. Pouvez-vous vérifier ma session (l'appareil du bot Pix) ou partager "
    "à nouveau les clés du salon, puis renvoyer votre message ?"
)
