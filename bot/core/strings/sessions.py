"""Certification sessions and their invigilators: the calendar, reminders, convocations, and
`pixbot sessions`."""

from __future__ import annotations

from ..render import literal

HELP_CMD_SESSIONS = "liste les sessions de certification à venir et les réponses des surveillants (✅/❓/⛔)"
HELP_CMD_CONVOCATIONS = "prépare le texte de convocation des candidats d'une session (son numéro, vu dans « sessions »)"

SESSIONS_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
SESSIONS_MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
                   "novembre", "décembre")

SESSIONS_NONE = "Aucune session de certification à venir dans le calendrier. Il se charge avec `pixbot sessions import FICHIER`."
SESSIONS_TITLE = "**Sessions de certification à venir**"
SESSIONS_LEGEND = "✅ a confirmé · ❓ pas encore de réponse · ⛔ empêché · ✉️ adresse e-mail seulement (aucun rappel envoyé)"
SESSIONS_NO_INVIGILATOR = "aucun surveillant indiqué"
SESSIONS_UNKNOWN_NUMBER = "Je ne trouve pas de session n° {number}. « sessions » affiche les numéros des sessions à venir."
SESSIONS_NUMBER_NEEDED = "indiquez le numéro de la session, par exemple « convocations 2 »"
CONVOCATION_INTRO = "Texte de convocation pour la session n° {number} ({when}), à copier dans votre message aux candidats :"

REMINDER_ACK = "Merci, c'est noté : vous surveillez la session n° {number} ({when}). Bonne session !"
REMINDER_UNAVAILABLE = (
    "C'est noté : vous êtes empêché pour la session n° {number} ({when}). Le correspondant Pix est prévenu "
    "et s'organisera pour vous remplacer."
)
REMINDER_ALREADY_STARTED = "La session n° {number} a déjà commencé : votre réponse n'a pas été enregistrée."
REMINDER_NOT_YOURS = "Vous n'êtes pas indiqué comme surveillant de la session n° {number}."
ALERT_UNAVAILABLE = "⛔ **Surveillant empêché** : {who} ne pourra pas surveiller la session n° {number} ({when}, {place})."
FINALISE_REMINDER = (
    "📝 **Pensez à finaliser la session n° {number}** ({when}, {place}) dans Pix Certif : reportez pour chaque "
    "candidat les signalements du PV d'incident, indiquez la raison de chaque test non terminé, puis confirmez "
    "la finalisation (elle ne se modifie plus ensuite)."
)
FORGET_NOTICE = (
    "Un surveillant a demandé l'effacement de ses données : il n'apparaît plus dans la ou les session(s) n° "
    "{numbers}. Pensez à vérifier qui les surveille."
)

FORGET_SESSIONS = "mention(s) comme surveillant dans le calendrier des sessions de certification"
FORGET_REMINDERS = "rappel(s) de session de certification reçu(s)"
FORGET_ANSWERS = "réponse(s) à ces rappels (« ok » ou « empêché »)"

# import errors (the file's problems, named by line and column)
IMPORT_WHERE = "{file}, ligne {line}, colonne {column}"
IMPORT_WHERE_LINE = "{file}, ligne {line}"
IMPORT_REFUSED = "Calendrier refusé : {count} problème(s). Le calendrier précédent est conservé."
IMPORT_UNREADABLE = "fichier illisible : {problem}"
IMPORT_NOT_UTF8 = "le fichier n'est pas en UTF-8 (enregistrez-le en « CSV UTF-8 »)"
IMPORT_UNKNOWN_FORMAT = "format inconnu : il faut un fichier .csv (modèle Pix Certif) ou .yaml"
IMPORT_EMPTY = "le fichier est vide"
IMPORT_WRONG_SEPARATOR = (
    "séparateur incorrect : le modèle de Pix Certif sépare les colonnes par des points-virgules (« ; »), ce "
    "fichier semble utiliser « {found} »"
)
IMPORT_MISSING_COLUMN = "colonne obligatoire absente : « {column} »"
IMPORT_REQUIRED = "valeur obligatoire manquante ({column})"
IMPORT_BAD_DATE = "date invalide « {value} » (attendu JJ/MM/AAAA ou AAAA-MM-JJ)"
IMPORT_BAD_TIME = "heure invalide « {value} » (attendu HH:MM)"
IMPORT_PAST = "la session du {value} est déjà passée"
IMPORT_BAD_NUMBER = "nombre de candidats invalide « {value} » (attendu un nombre entier)"
IMPORT_BAD_SESSION_NUMBER = "numéro de session invalide « {value} » (attendu le numéro Pix Certif, en chiffres)"
IMPORT_UNKNOWN_INVIGILATOR = (
    "surveillant inconnu « {value} » : indiquez un identifiant Matrix (@nom:serveur) d'un serveur autorisé "
    "ou une adresse e-mail"
)
IMPORT_SERVER_NOT_ALLOWED = "surveillant « {value} » : le serveur « {server} » n'est pas autorisé dans la configuration"
IMPORT_CONFLICT = "la session « {key} » apparaît déjà ligne {first} avec d'autres informations ({column})"
IMPORT_DUPLICATE = "la session « {key} » apparaît deux fois (déjà ligne {first})"
IMPORT_NOT_LIST = "il faut une liste de sessions (ou une clé « sessions » contenant la liste)"
IMPORT_NOT_MAPPING = "chaque session doit être un ensemble de clés (date, heure, site, salle, candidats, surveillants)"
IMPORT_UNKNOWN_KEY = "clé inconnue « {key} » (clés possibles : {allowed})"
IMPORT_NOT_TEXT = "« {key} » doit être un texte"
IMPORT_BAD_YAML = "YAML invalide ({problem})"
IMPORT_DONE = (
    "Calendrier importé : {count} session(s) à venir ({added} nouvelle(s), {moved} déplacée(s), {removed} "
    "retirée(s)). Rappels aux surveillants : {reminded} personne(s) avec un identifiant Matrix."
)
IMPORT_EMAIL_ONLY = "Sans identifiant Matrix, pas de rappel pour : {people}."

CLI_SESSIONS_NONE = "Aucune session dans le calendrier."
CLI_SESSIONS_COLUMNS = ("n°", "date", "heure", "lieu", "candidats", "surveillants")


def french_day(day) -> str:
    """« jeudi 14 janvier 2027 »."""
    return f"{SESSIONS_WEEKDAYS[day.weekday()]} {day.day} {SESSIONS_MONTHS[day.month - 1]} {day.year}"


def session_when(day, time: str) -> str:
    return f"{french_day(day)} à {time.replace(':', 'h')}"


def session_place(site: str, room: str) -> str:
    return f"{literal(site)}, salle {literal(room)}"


def session_line(number: int, when: str, place: str, candidates: int | None, pix_number: str | None) -> str:
    extra = []
    if candidates is not None:
        extra.append(f"{candidates} candidat(s)")
    if pix_number:
        extra.append(f"session Pix {literal(pix_number)}")
    tail = f" ({', '.join(extra)})" if extra else ""
    return f"**n° {number}** · {when} · {place}{tail}"


def sessions_list(lines: list[str]) -> str:
    return "\n".join([SESSIONS_TITLE, "", *lines, "", SESSIONS_LEGEND])


def reminder_text(days: int, number: int, when: str, place: str, candidates: int | None, guide: str) -> str:
    """The reminder an invigilator receives ``days`` days before their session."""
    soon = {0: "aujourd'hui", 1: "demain"}.get(days, f"dans {days} jours")
    count = f", {candidates} candidat(s)" if candidates is not None else ""
    return "\n".join([
        f"📅 **Rappel : vous surveillez une session de certification Pix {soon}.**",
        "",
        f"Session n° {number} : {when}, {place}{count}.",
        "",
        "À préparer :",
        "- le **matériel vérifié au moins 2 jours ouvrés avant** la session, comme le demandent les conditions "
        "d'utilisation de Pix Certif (postes, navigateur, extension Pix Companion) ;",
        "- le **numéro de session et le mot de passe de session** pour ouvrir l'espace surveillant : c'est un "
        "administrateur Pix Certif du centre qui vous les transmet ;",
        "- le **code d'accès** que vous donnerez aux candidats (à ne pas confondre avec le mot de passe de session) ;",
        "- la **confirmation de présence** de chaque candidat dans l'espace surveillant : sans elle, son test ne "
        "démarre pas ;",
        "- le **PV d'incident** (avec la feuille d'émargement) à remplir pendant la session.",
        "",
        guide,
        "",
        "Merci de répondre « **ok** » pour confirmer, ou « **empêché** » si vous ne pouvez pas venir "
        "(le correspondant Pix sera prévenu).",
    ])


def reminder_guide(url: str | None, questions: list[str]) -> str:
    """Where the invigilator finds the guide: its address when one is configured, and questions
    of the bundled guide they can ask the bot."""
    lines = []
    if url:
        lines.append(f"Guide du surveillant : {url}")
    else:
        lines.append("Guide du surveillant : écrivez-moi « guide du surveillant » pour le consulter.")
    if questions:
        lines.append("Vous pouvez aussi me poser vos questions, par exemple : "
                     + " ; ".join(f"« {q} »" for q in questions) + ".")
    return "\n".join(lines)


def import_email_only(people: list[str]) -> str:
    return IMPORT_EMAIL_ONLY.format(people=", ".join(people))
