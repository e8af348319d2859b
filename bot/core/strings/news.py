"""Pix news: subscriptions, digests, announcements, sources, and `pixbot news`."""

from __future__ import annotations

from ..render import literal

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
