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
