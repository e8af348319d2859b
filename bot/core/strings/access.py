"""Access requests: a member of staff asks for access to Pix Orga or Pix Certif, the
correspondents accept or refuse it in the request's thread, and `pixbot demandes`."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..render import literal
from .report import _hours

ACCESS_SPACES = {"orga": "Pix Orga", "certif": "Pix Certif"}
ACCESS_ROLES = {"membre": "Membre", "administrateur": "Administrateur"}
ACCESS_STATUSES = {"pending": "en attente", "accepted": "acceptée, invitation à envoyer", "invited": "invitation envoyée",
                   "refused": "refusée"}

HELP_CMD_ACCESS_ORGA = "demande un accès à l'espace Pix Orga de l'université (en message direct)"
HELP_CMD_ACCESS_CERTIF = "demande un accès à l'espace Pix Certif du centre de certification (en message direct)"
HELP_CMD_ACCESS = "demande un accès à Pix Orga ou à Pix Certif (en message direct)"
HELP_CMD_MY_REQUESTS = "liste vos demandes d'accès et leur état"
HELP_CMD_REQUESTS = "liste les demandes d'accès en cours (« demandes toutes » : y compris les terminées)"
HELP_CMD_ACCEPT = ("dans le fil d'une demande d'accès : l'accepter (« accepter membre » ou "
                   "« accepter administrateur » pour choisir le rôle)")
HELP_CMD_REFUSE = "dans le fil d'une demande d'accès : la refuser (« refuser motif » : le motif est transmis)"
HELP_CMD_INVITED = "dans le fil d'une demande d'accès acceptée : confirmer que l'invitation Pix est envoyée"

# the offer after an answer about getting access (FAQ entries with « action: demande-acces-… »)
ACCESS_OFFER = ("\n\n---\nVoulez-vous que je transmette une **demande d'accès à {space}** au correspondant Pix ? "
                "Répondez « oui » : je vous poserai quatre ou cinq questions courtes.")

# the dialogue
ACCESS_ASK_SPACE = ("Je vais préparer votre demande d'accès pour le correspondant Pix. Pour quel espace ? "
                    "Répondez « orga » (Pix Orga : campagnes et résultats) ou « certif » (Pix Certif : sessions "
                    "de certification). Vous pouvez écrire « annuler » à tout moment.")
ACCESS_BAD_SPACE = "Je n'ai pas compris l'espace. Répondez « orga » ou « certif » (ou « annuler »)."
ACCESS_ASK_EMAIL = ("Demande d'accès à **{space}**. À quelle adresse e-mail institutionnelle Pix doit-il envoyer "
                    "l'invitation ? (« annuler » pour abandonner)")
ACCESS_BAD_EMAIL = "« {value} » n'est pas une adresse e-mail valide. Indiquez une adresse de la forme prenom.nom@{domain}."
ACCESS_BAD_DOMAIN = ("L'invitation doit aller à une adresse de l'établissement ({domains}). "
                     "Indiquez votre adresse institutionnelle.")
ACCESS_ASK_UNIT = "Dans quelle composante (faculté, département, service) travaillez-vous ?"
ACCESS_ASK_ROLE = ("Quel rôle demandez-vous ? « membre » suffit dans la plupart des cas ; « administrateur » "
                   "permet aussi d'inviter des collègues et de gérer les membres de l'espace.")
ACCESS_BAD_ROLE = "Répondez « membre » ou « administrateur »."
ACCESS_ASK_REASON = "Pourquoi avez-vous besoin du rôle administrateur ? (une phrase suffit)"
ACCESS_ASK_PURPOSE = ("Pour quoi faire ? Par exemple : suivre les campagnes de mes cours, organiser des sessions de "
                      "certification, surveiller des sessions.")
ACCESS_BAD_TEXT = "Écrivez une réponse courte, de {limit} caractères au plus."
ACCESS_CANCELLED = "Demande d'accès abandonnée : rien n'a été transmis."
ACCESS_OFFER_DECLINED = "D'accord, je ne transmets rien. Écrivez « accès orga » ou « accès certif » si vous changez d'avis."
ACCESS_CONFIRM_AGAIN = "Répondez « oui » pour envoyer la demande, ou « annuler » pour l'abandonner."


def access_summary(space: str, email: str, unit: str, role: str, reason: str | None, purpose: str) -> str:
    """The request as the asker reviews it before sending; what they typed is shown as written."""
    lines = [f"- Espace : **{ACCESS_SPACES[space]}**",
             f"- Adresse à inviter : {literal(email)}",
             f"- Composante : {literal(unit)}",
             f"- Rôle demandé : {ACCESS_ROLES[role]}" + (f" (motif : {literal(reason)})" if reason else ""),
             f"- Usage : {literal(purpose)}"]
    return "\n".join(lines)


def access_confirm(summary: str) -> str:
    return (f"Voici votre demande :\n\n{summary}\n\nJe l'envoie au correspondant Pix ? Répondez « oui » pour "
            "l'envoyer, ou « annuler ».")


def access_created(number: int, announced: bool) -> str:
    where = ("Le correspondant Pix l'a reçue" if announced else "Elle est enregistrée pour le correspondant Pix")
    return (f"Demande d'accès n° {number} transmise. {where} ; je vous écrirai ici dès qu'il l'aura traitée. "
            "« mes demandes » vous en donne l'état.")


def access_card(number: int, who: str, mention: str, summary: str, mentions: list[str]) -> str:
    """The request in the correspondents' channel: the root of its thread."""
    notify = " ".join(mentions)
    return (f"🔑 **Demande d'accès n° {number}** de {literal(who)} ({mention})\n\n{summary}\n\n"
            "Répondez dans ce fil : « accepter » (ou « accepter membre », « accepter administrateur »), "
            "« refuser motif », ou écrivez une question : elle sera transmise au demandeur."
            + (f"\n\n{notify}" if notify else ""))


ACCESS_NOT_A_REQUEST = "Le ticket n° {n} n'est pas une demande d'accès."
ACCESS_ALREADY_DECIDED = "La demande n° {n} est déjà {status}."
ACCESS_NOT_ACCEPTED = "La demande n° {n} n'est pas acceptée : écrivez d'abord « accepter »."
ACCESS_BAD_GRANTED_ROLE = "Rôle inconnu : écrivez « accepter », « accepter membre » ou « accepter administrateur »."


def access_accepted_corr(number: int, space: str, role: str, email: str) -> str:
    return (f"Demande n° {number} acceptée (rôle {ACCESS_ROLES[role]}). Invitez {literal(email)} depuis l'onglet "
            f"« Équipe » de {ACCESS_SPACES[space]}, puis écrivez « invité » dans ce fil : le demandeur sera prévenu.")


def access_accepted_asker(number: int, space: str, role: str, email: str) -> str:
    return (f"Bonne nouvelle : votre demande d'accès à **{ACCESS_SPACES[space]}** (n° {number}) est acceptée, "
            f"avec le rôle {ACCESS_ROLES[role]}. Le correspondant Pix va vous inviter : vous recevrez un e-mail de "
            f"Pix à {literal(email)} avec un lien à usage unique. En le suivant, vous créez un compte Pix ou vous "
            "vous connectez avec celui que vous avez déjà. Je vous écrirai quand l'invitation sera partie.")


def access_invited_corr(number: int) -> str:
    return f"Demande n° {number} terminée : le demandeur est prévenu."


def access_invited_asker(number: int, space: str, email: str) -> str:
    return (f"L'invitation à **{ACCESS_SPACES[space]}** vous a été envoyée à {literal(email)} (demande n° {number}). "
            "Ouvrez l'e-mail de Pix et suivez le lien (il ne sert qu'une fois) ; pensez à regarder dans les "
            "indésirables. Si le lien a expiré, écrivez ici : le correspondant pourra renvoyer l'invitation.")


def access_refused_corr(number: int) -> str:
    return f"Demande n° {number} refusée : le demandeur est prévenu."


def access_refused_asker(number: int, space: str, reason: str) -> str:
    why = f" Motif : {literal(reason)}" if reason.strip() else ""
    return (f"Votre demande d'accès à **{ACCESS_SPACES[space]}** (n° {number}) n'a pas été acceptée.{why} "
            "Vous pouvez répondre dans ce fil pour en parler avec le correspondant Pix.")


def _date(ts: float, tz: str) -> str:
    return datetime.fromtimestamp(ts, ZoneInfo(tz)).strftime("%d/%m/%Y")


def access_list(rows: list[tuple], everything: bool, tz: str) -> str:
    """``demandes``: (number, space, role, email, unit, status, created_at, who) per request."""
    if not rows:
        return "Aucune demande d'accès." if everything else "Aucune demande d'accès en cours."
    title = "Demandes d'accès :" if everything else "Demandes d'accès en cours :"
    lines = [f"- n° {n} · {ACCESS_SPACES[space]} · {ACCESS_ROLES[role]} · {literal(email)} · {literal(unit)} · "
             f"{ACCESS_STATUSES[status]} · {_date(created, tz)} · {literal(who)}"
             for n, space, role, email, unit, status, created, who in rows]
    return title + "\n" + "\n".join(lines)


def my_access_requests(rows: list[tuple], tz: str) -> str:
    """``mes demandes``: (number, space, status, created_at) per request."""
    if not rows:
        return "Vous n'avez fait aucune demande d'accès. « accès orga » ou « accès certif » pour en faire une."
    lines = [f"- n° {n} · {ACCESS_SPACES[space]} · {ACCESS_STATUSES[status]} · {_date(created, tz)}"
             for n, space, status, created in rows]
    return "Vos demandes d'accès :\n" + "\n".join(lines)


FORGET_ACCESS = "demande(s) d'accès à Pix Orga ou Pix Certif"

# `pixbot demandes`
CLI_ACCESS_EXPORTED = "{count} accès accordé(s) exporté(s) dans {path}"
ACCESS_CSV_HEADER = ["demande", "espace", "rôle accordé", "adresse invitée", "composante", "usage", "demandeur",
                     "demandée le", "acceptée le", "invitation envoyée le"]

# the activity report's part (`pixbot rapport`): counts only
REPORT_ACCESS_TITLE = "Demandes d'accès à Pix Orga et Pix Certif"
REPORT_CSV_ACCESS = ("mois", "demandes", "invitations envoyées")


def report_access(total: int, by_space_status: dict, median_hours: float | None, p90_hours: float | None) -> str:
    if not total:
        return "Aucune demande d'accès sur la période."
    lines = [f"{total} demande(s) d'accès sur la période.", "", "| espace | " + " | ".join(ACCESS_STATUSES.values())
             + " |", "|---|" + "---|" * len(ACCESS_STATUSES)]
    for space, label in ACCESS_SPACES.items():
        counts = [by_space_status.get((space, status), 0) for status in ACCESS_STATUSES]
        if any(counts):
            lines.append(f"| {label} | " + " | ".join(str(n) for n in counts) + " |")
    if median_hours is not None:
        lines += ["", f"De la demande à l'invitation envoyée : médiane {_hours(median_hours)}, "
                      f"9 sur 10 en moins de {_hours(p90_hours)}."]
    return "\n".join(lines)
