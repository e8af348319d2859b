"""Said by the adapters themselves: the terminal chat and the Matrix bot."""

from __future__ import annotations

# --- Terminal chat ---

CHAT_WELCOME = (
    "Assistant Pix (terminal). Posez votre question, tapez « aide » pour l'aide, "
    "ou « quitter » pour sortir."
)
CHAT_BYE = "Au revoir !"
CHAT_LOADING = "Chargement de l'index…"

# --- Matrix adapter ---

MATRIX_CANNOT_DECRYPT = (
    "Je ne parviens pas à lire votre message : il est chiffré et je n'ai pas reçu la clé "
    "pour le déchiffrer. Pouvez-vous vérifier ma session (l'appareil du bot Pix) ou partager "
    "à nouveau les clés du salon, puis renvoyer votre message ?"
)

# why a reply was refused for good (a dead letter); `statut` shows them to the correspondents
DEAD_NOT_IN_ROOM = "le bot n'est plus dans ce salon"
DEAD_NOT_ALLOWED_PERSON = "destinataire hors des utilisateurs et serveurs autorisés"
DEAD_NO_DIRECT_ROOM = "conversation directe impossible à ouvrir"
DEAD_FILE_UNREADABLE = "fichier joint illisible"
DEAD_FILE_TOO_LARGE = "fichier joint trop volumineux"

# the terminal chat: a file the bot sends, a message to someone else than the person at the keyboard
CHAT_ATTACHMENT = "(fichier joint : {path})"
CHAT_TO_PERSON = "(à {user}) "
