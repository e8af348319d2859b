from bot.answers import textnorm


def test_accents_case_and_plurals_meet_on_one_token():
    assert textnorm.tokens("Résultats") == textnorm.tokens("resultat") == textnorm.tokens("RÉSULTAT")


def test_chat_abbreviations_are_expanded():
    assert textnorm.tokens("mdp certif") == textnorm.tokens("mot de passe certification")
    assert "pix orga" in textnorm.normalize_for_embedding("accès orga svp")
    assert "svp" not in textnorm.normalize_for_embedding("accès orga svp")


def test_stop_words_and_greetings_are_dropped():
    assert textnorm.tokens("Bonjour, où est donc le code ?") == textnorm.tokens("code")


def test_elisions_are_removed():
    assert textnorm.tokens("l'étudiant") == textnorm.tokens("étudiant")
    assert textnorm.tokens("d'inscription") == textnorm.tokens("inscription")


def test_slugify_matches_the_passage_id_rule():
    assert textnorm.slugify("Un candidat a fermé sa fenêtre ?") == "un-candidat-a-ferme-sa-fenetre"
    assert textnorm.slugify("L'écran « Test terminé ! »") == "l-ecran-test-termine"


def test_expansion_does_not_repeat_the_product_name():
    assert textnorm.normalize_for_embedding("un collègue dans Pix Orga") == "un collègue dans pix orga"
    assert textnorm.normalize_for_embedding("accès orga") == "accès pix orga"


def test_question_inversion_splits_verb_and_pronoun():
    tokens, words = textnorm.tokens, textnorm.words
    assert tokens("Où les étudiants saisissent-ils le code ?") == tokens("où les étudiants saisissent le code")
    assert tokens("Peut-on annuler ? A-t-il fini ?") == tokens("annuler fini")
    assert words("un rendez-vous") == ["un", "rendez-vous"]  # a noun, not an inversion
    assert words("peut-être") == ["peut-être"]
