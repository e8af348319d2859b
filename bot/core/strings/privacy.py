"""« oublier mes données »: what the bot keeps about a person, and its deletion."""

from __future__ import annotations

HELP_CMD_FORGET = "supprime tout ce que le bot garde de vous (après confirmation)"

# what the bot keeps about a person, part by part (« oublier mes données »)
FORGET_TICKETS = "question(s) transmise(s) au correspondant Pix, avec leurs échanges"
FORGET_FEEDBACK = "avis sur des réponses"
FORGET_QUESTIONS = "question(s) posée(s) au bot (gardées pour le rapport d'activité et les manques de contenu)"
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
