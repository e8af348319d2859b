"""Everything the bot says to people, in French (vouvoiement), in one place for review.

Code elsewhere never builds user-facing French sentences itself: it picks a constant or calls a
small function from here. Markdown is allowed (adapters render it to HTML where they can), but
only the bot's own: anything people, feeds or servers wrote goes in through ``literal`` and is
shown exactly as written (``bot/render.py``).
"""

from __future__ import annotations

from .render import literal

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
SRC_EXAMPLES_NOT_LIST = "le fichier doit contenir une liste de questions (chaque question commence par « - question: »)"
SRC_BAD_EXAMPLE = "une question d'exemple demande « question » (un texte) et « expected » (un identifiant, ou null)"
SRC_EXAMPLE_UNKNOWN_ID = "identifiant inconnu « {id} » : question ignorée"
SRC_UNKNOWN_PLACEHOLDER = ("repère inconnu « {{{{ {name} }}}} » (repères connus : {known} ; "
                           "les informations de l'établissement s'écrivent « {{{{ etablissement.<clé> }}}} »)")
SRC_PLACEHOLDER_IN_TITLE = "repère « {{ … }} » dans un titre : les repères ne sont remplacés que dans le texte"
# the institution's local file (sources.local_file), filled in by the Pix correspondent
LOCAL_NOT_MAPPING = "le fichier doit être une suite de clés « clé: texte » (voir les commentaires du fichier fourni)"
LOCAL_BAD_KEY = "clé « {key} » invalide : lettres minuscules, chiffres et « _ » seulement"
LOCAL_NOT_TEXT = "la valeur doit être un texte (ou rester vide tant qu'elle n'est pas connue)"
# How placeholders render (see bot/placeholders.py)
PLACEHOLDER_UNSET = ("*information pas encore renseignée par le correspondant Pix* : "
                     "posez-lui la question avec la commande `correspondant`")


def placeholder_themes(names: list[str]) -> str:
    """The news themes of the config, as a French list (``{{ themes }}``)."""
    if not names:
        return "aucun thème n'est configuré pour le moment"
    quoted = [f"`{n}`" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " et " + quoted[-1]


# `pixbot check` (content hygiene, for the people who edit the FAQ and documentation)
CHECK_EMPTY_TEXT = "texte vide"
CHECK_NO_VARIANT = "aucune variante de la question"
CHECK_LINK_NO_TEXT = "lien sans texte ({url})"
CHECK_BAD_LINK = "lien mal formé « {url} »"
CHECK_BAD_ADDRESS = "adresse mal formée « {url} »"
CHECK_PROBLEMS = "{count} problème(s)."
CHECK_CLEAN = "Contenu vérifié : aucun problème."
CHECK_UNKNOWN_LABEL = ("libellé « {label} » présenté comme un élément de l'interface Pix ({trigger}) mais absent de "
                       "la liste des libellés ({glossary}) : vérifiez le nom exact, ou ajoutez-le à la liste avec sa source")
CHECK_STATUS_CONTRADICTION = ("« {field} » est dit {said} (« {excerpt} ») alors que le glossaire ({glossary}) "
                              "le donne {status}")
CHECK_UNCAVEATED = ("mentionne un point à vérifier du glossaire ({point} : « {excerpt} ») sans réserve "
                    "(par exemple « à vérifier », « à confirmer », « en cas de doute »…)")
CHECK_GLOSSARY_PROBLEM = "glossaire : {message}"
GLOSSARY_NOT_MAPPING = "le fichier doit être une suite de clés"
GLOSSARY_BAD_FIELD = "fields, entrée #{index} : « name » et « status » (obligatoire ou facultatif) attendus"
GLOSSARY_BAD_POINT = "to_verify, entrée #{index} : « mentions » doit être une liste de listes de mots"
GLOSSARY_NO_CAVEATS = "« caveats » (les mots qui font une réserve) manque"
GLOSSARY_BAD_LABEL = "labels, entrée #{index} : « label » attendu"
STATUS_WORDS = {"mandatory": "obligatoire", "optional": "facultatif"}
CHECK_UNSET_LOCAL = ("À compléter : {file}, ligne {line} : « {key} » n'est pas renseigné ; les réponses disent que "
                     "l'information manque et renvoient vers `correspondant`.")
CHECK_LOCAL_MISSING = ("À compléter : le fichier local de l'établissement ({file}, clé sources.local_file) est "
                       "introuvable ; les réponses qui citent ses informations disent qu'elles manquent.")
CLI_NO_ADAPTER = "Aucun adaptateur entraîné dans {folder} : lancez d'abord `pixbot train`."
CHECK_MODEL_STALE = ("Avertissement : le contenu a changé depuis l'entraînement du modèle ({folder}). "
                     "Les nouvelles entrées sont déjà cherchées, mais `make model` (pixbot train) "
                     "peut améliorer les réponses.")


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

# --- News ---

HELP_CMD_NEWS_SUBSCRIBE = (
    "vous abonne aux actualités Pix (en message direct ; dans un salon, l'abonne si vous le modérez), "
    "pour les thèmes choisis ou tous, chaque jour ou chaque semaine (« hebdo »)"
)
HELP_CMD_NEWS_UNSUBSCRIBE = "retire des thèmes de votre abonnement, ou l'arrête sans thème précisé"
HELP_CMD_NEWS_SUBSCRIPTIONS = "montre votre abonnement aux actualités (ou celui du salon) et les thèmes disponibles"
HELP_CMD_NEWS_LATEST = "affiche les dernières actualités Pix, éventuellement d'un thème"
HELP_CMD_NEWS_SOURCES = "état des sources d'actualités (flux en échec, prochain essai)"
HELP_CMD_NEWS_ANNOUNCE = "prépare une annonce aux abonnés (thèmes choisis ou tous), envoyée après confirmation"
HELP_CMD_NEWS_RECALL = "retire les messages d'une annonce envoyée (la dernière par défaut)"

NEWS_RHYTHMS = {"daily": "chaque jour", "weekly": "chaque semaine"}
NEWS_WEEKDAYS = {"mon": "lundi", "tue": "mardi", "wed": "mercredi", "thu": "jeudi", "fri": "vendredi",
                 "sat": "samedi", "sun": "dimanche"}
NEWS_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
               "novembre", "décembre")
NEWS_ALL_TOPICS = "tous les thèmes"
NEWS_GROUP_OTHER = "Autres actualités"
NEWS_UNTITLED = "(sans titre)"
NEWS_UPDATED = "mis à jour"
NEWS_NOTHING_NEW = "**Actualités Pix** : rien de neuf depuis votre dernier point. Bonne journée !"
NEWS_DIGEST_FOOTER = "Pour modifier cet abonnement : « abonnements », « abonner … » ou « désabonner »."
NEWS_ROOM_NOT_ALLOWED = (
    "Seuls les modérateurs de ce salon et les correspondants Pix peuvent gérer son abonnement aux actualités. "
    "Pour vous abonner vous-même, écrivez-moi « abonner » en message direct."
)
NEWS_NOT_SUBSCRIBED = "Aucun abonnement aux actualités Pix pour le moment. Écrivez « abonner » pour en créer un."
NEWS_UNSUBSCRIBED = "C'est noté : vous ne recevrez plus les actualités Pix ici. « abonner » pour reprendre."
NEWS_UNSUBSCRIBE_ALL_TOPICS = (
    "L'abonnement couvre tous les thèmes. Pour n'en garder que certains, écrivez « désabonner » puis "
    "« abonner » suivi des thèmes voulus (par exemple « abonner certif, orga »)."
)
NEWS_LATEST_NONE = "Aucune actualité Pix pour le moment."
NEWS_ANNOUNCE_USAGE = (
    "Écrivez « annonce » suivi du texte pour tous les abonnés, ou des thèmes puis deux-points, par exemple : "
    "« annonce certif, orga : Les sessions de juin sont ouvertes. »"
)
NEWS_ANNOUNCE_CANCELLED = "Annonce annulée : rien n'a été envoyé."
NEWS_ANNOUNCE_NEED_ALL = (
    "Cette annonce partirait vers **tous les abonnés** : pour confirmer, répondez exactement « envoyer à tous » "
    "(ou « annuler »)."
)
NEWS_ANNOUNCE_NOBODY = "Aucun abonné ne correspond à ces thèmes : l'annonce n'a pas été envoyée."
NEWS_ANNOUNCE_SENT = (
    "Annonce n° {number} en cours d'envoi vers {count} salon(s). Pour la retirer : « rappeler {number} »."
)
NEWS_NOT_CONNECTED = "Je ne suis connecté à aucune messagerie pour le moment : rien n'a été envoyé ni retiré."
NEWS_RECALL_UNKNOWN = "Je ne trouve pas d'annonce envoyée avec ce numéro."
NEWS_RECALLED = "Annonce rappelée : {count} message(s) retiré(s) (les messages encore en file le seront à l'envoi)."
NEWS_RECALL_REASON = "Annonce rappelée par le correspondant Pix"
NEWS_FOLDER_NAME = "Dossier d'annonces ({path})"

NEWS_ERR_HTTP = "le serveur a répondu par une erreur HTTP {code}"
NEWS_ERR_TIMEOUT = "pas de réponse complète en {seconds} s"
NEWS_ERR_UNREACHABLE = "serveur injoignable ({reason})"
NEWS_ERR_TOO_BIG = "flux trop volumineux (plus de {limit} octets), téléchargement interrompu"
NEWS_ERR_MALFORMED = "le document n'est pas un flux RSS/Atom valide ({problem})"
NEWS_ANNOUNCE_FILE_BAD = "{file} : fichier illisible ({problem})"
NEWS_ANNOUNCE_FILE_NO_TITLE = "{file} : en-tête sans « title », annonce ignorée"
NEWS_ANNOUNCE_FILE_BAD_DATE = "{file} : date invalide « {value} » (format attendu : 2025-06-30)"

NEWS_CLI_SUBSCRIBERS = "Abonnés (utilisez --subscriber avec le numéro, l'identifiant ou le salon) :"
NEWS_CLI_NO_SUBSCRIBERS = "Aucun abonné pour le moment."
NEWS_CLI_UNKNOWN_SUBSCRIBER = "Abonné introuvable : {key}"
NEWS_CLI_PREVIEW_EMPTY = "Rien de neuf pour cet abonné : aucun point ne lui serait envoyé."
NEWS_CLI_SEND_NOW = (
    "Tournée d'actualités demandée. Le bot en marche l'envoie dans les {seconds} secondes ; s'il est arrêté, "
    "elle partira à son prochain démarrage (une seule fois)."
)
NEWS_CLI_FETCHED = "{source} : {result}"


def french_date(day) -> str:
    return f"{day.day} {NEWS_MONTHS[day.month - 1]} {day.year}"


def _topics_label(topics: list[str]) -> str:
    return ", ".join(topics) if topics else NEWS_ALL_TOPICS


def news_subscription(topics: list[str], rhythm: str, is_room: bool) -> str:
    who = "Ce salon reçoit" if is_room else "Vous recevez"
    return f"{who} les actualités Pix {NEWS_RHYTHMS.get(rhythm, rhythm)}, thèmes : {_topics_label(topics)}."


def news_subscribed(topics: list[str], rhythm: str, is_room: bool, daily_time: str, weekly_day: str) -> str:
    when = (f"chaque jour à {daily_time}" if rhythm == "daily"
            else f"chaque {NEWS_WEEKDAYS.get(weekly_day, weekly_day)} à {daily_time}")
    return (f"C'est noté ! {news_subscription(topics, rhythm, is_room)} Le prochain point arrivera {when}, "
            "s'il y a du nouveau. « désabonner » pour arrêter.")


def news_topics_available(names: list[str]) -> str:
    if not names:
        return "Thèmes disponibles : aucun pour le moment (abonnez-vous à tous les thèmes)."
    return "Thèmes disponibles : " + ", ".join(names) + ". Ajoutez « hebdo » pour un point par semaine."


def news_unknown_topics(unknown: list[str], names: list[str]) -> str:
    quoted = ", ".join(f"« {literal(w)} »" for w in unknown)
    return f"Je ne connais pas le(s) thème(s) {quoted}. " + news_topics_available(names)


def _item_line(title: str, link: str | None, summary: str, note: str = "") -> str:
    head = f"[{literal(title)}]({link})" if link else f"**{literal(title)}**"
    line = f"- {note}{head}"
    return line + (f" — {literal(summary)}" if summary and summary != title else "")


def news_digest(date: str, rhythm: str, groups: list[tuple[str, list[tuple[str, str | None, str, bool]]]]) -> str:
    """Markdown digest: title, then items grouped by topic (link and one-line summary)."""
    title = "Actualités Pix de la semaine" if rhythm == "weekly" else "Actualités Pix"
    lines = [f"**{title} — {date}**"]
    for topic, items in groups:
        lines += ["", f"**{topic[:1].upper() + topic[1:]}**"]
        lines += [_item_line(t, link, s, f"*({NEWS_UPDATED})* " if updated else "") for t, link, s, updated in items]
    lines += ["", NEWS_DIGEST_FOOTER]
    return "\n".join(lines)


def news_latest(items: list[tuple[str, str | None, str, str]]) -> str:
    lines = ["**Dernières actualités Pix**", ""]
    lines += [_item_line(t, link, s, f"{date} : " if date else "") for t, link, s, date in items]
    return "\n".join(lines)


def news_announcement(text: str) -> str:
    return f"📢 **Annonce du correspondant Pix**\n\n{text.strip()}"


def news_announce_preview(text: str, topics: list[str], count: int, urgent_file: str | None = None) -> str:
    intro = (f"Nouvelle annonce urgente dans le dossier d'annonces ({urgent_file}). Aperçu :" if urgent_file
             else "Aperçu de l'annonce :")
    target = f"les abonnés aux thèmes {', '.join(topics)}" if topics else "**tous les abonnés**"
    confirm = "« envoyer »" if topics else "« envoyer à tous »"
    quoted = "\n".join("> " + line if line.strip() else ">" for line in news_announcement(text).split("\n"))
    return (f"{intro}\n\n{quoted}\n\nDestinataires : {target} ({count} salon(s)). "
            f"Répondez {confirm} pour confirmer, ou « annuler ».")


def news_source_line(name: str, url: str, ok: bool, failures: int, error: str | None, last_ok: str,
                     next_retry: str | None, items: int) -> str:
    if ok:
        text = f"- ✅ {literal(name)} : {items} élément(s), dernier succès le {last_ok}"
        return text + (f" ; à signaler : {literal(error)}" if error else "")
    return (f"- ❌ {literal(name)} : en échec ({failures} fois) : {literal(error or '')}. Dernier succès : {last_ok}. "
            f"Prochain essai : {next_retry}.")


def news_sources(lines: list[str]) -> str:
    if not lines:
        return "Aucune source d'actualités configurée."
    return "\n".join(["**Sources d'actualités**", "", *lines])

# --- Tickets ---

TICKET_STATES = {"open": "ouvert", "assigned": "pris en charge", "answered": "répondu", "closed": "clos"}
HELP_CMD_CORRESPONDANT = "transmet votre question au correspondant Pix (un humain vous répondra)"
HELP_CMD_MY_QUESTIONS = "liste les questions que vous avez transmises et leur état"
HELP_CMD_FORGET = "supprime tout ce que le bot garde de vous (après confirmation)"
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

# what the bot keeps about a person, part by part (« oublier mes données »)
FORGET_TICKETS = "question(s) transmise(s) au correspondant Pix, avec leurs échanges"
FORGET_FEEDBACK = "avis sur des réponses"
FORGET_SUBSCRIPTIONS = "abonnement(s) personnel(s) aux actualités Pix"


def _held(held: list[tuple[str, int]]) -> str:
    return "\n".join(f"- {n} {label}" for label, n in held)


def forget_confirm(held: list[tuple[str, int]]) -> str:
    listed = (f"Voici ce que le bot garde de vous :\n\n{_held(held)}\n\n" if held
              else "Le bot ne garde ni question transmise, ni avis, ni abonnement à votre nom. ")
    return ("Vous demandez la suppression de vos données. " + listed
            + "Tout sera supprimé, ainsi que les conversations en cours et les copies des messages que le bot "
              "vous a adressés. Cette suppression est définitive. Répondez « oui » pour confirmer, « non » pour "
              "annuler.")


def forget_done(held: list[tuple[str, int]]) -> str:
    done = f"C'est fait, ont été supprimés :\n\n{_held(held)}\n\n" if held else "C'est fait : il n'y avait rien à supprimer. "
    return done + ("Le bot ne garde plus rien à votre nom. Les messages déjà échangés restent visibles dans "
                   "l'historique des salons de discussion.")


FORGET_CANCELLED = "Entendu, rien n'a été supprimé."


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
    lines = [f"**Ticket n° {number}** : question de {literal(who)} ({literal(asker)})", "", _quote(question), ""]
    if guesses:
        lines.append("Pistes trouvées par le bot (jugées insuffisantes) :")
        lines += [f"- {g}" for g in guesses]
        lines.append("")
    if mentions:
        lines.append("Correspondants : " + ", ".join(f"[{m}](https://matrix.to/#/{m})" for m in mentions))
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


# --- Database (shown to whoever starts the bot) ---

def storage_schema_too_new(path: str, found: int, known: int, module: str | None = None) -> str:
    what = f"le schéma « {module} »" if module else "le schéma"
    return (f"La base de données {path} a {what} en version {found}, alors que cette version de pixbot "
            f"ne connaît que les versions jusqu'à {known} : elle a été écrite par une version plus récente. "
            "Mettez pixbot à jour, ou indiquez une autre base (storage.database). Le fichier n'a pas été modifié.")
