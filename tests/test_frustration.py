"""Frustration signals beyond polarity: what the agent's escalation rule gets to see."""

from __future__ import annotations

import pytest

from agent.sentiment import FrustrationSignals, frustration_signals, message_signals
from agent.sentiment.frustration import repeats_earlier, trigger_phrases


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I want to speak to someone", ("speak to someone",)),
        ("Can I talk to a human please", ("talk to a human",)),
        ("I'm so frustrated with this", ("frustrated",)),
        ("Please cancel my account", ("cancel my account",)),
        ("quiero hablar con un asesor", ("hablar con un asesor",)),
        ("Quiero HABLAR CON ALGUIEN ya", ("hablar con alguien",)),
        ("Estoy FRUSTRADO", ("frustrado",)),
        ("estoy frustrada y harta", ("frustrada", "harta")),
        ("Voy a cancelar", ("cancelar",)),
        ("Quiero poner un reclamo", ("reclamo",)),
        ("ATENCION AL CLIENTE por favor", ("atención al cliente",)),
        ("Quiero una reclamacion formal", ("reclamación",)),
    ],
)
def test_trigger_phrases_in_both_languages_ignore_case_and_accents(
    text: str, expected: tuple[str, ...]
) -> None:
    assert message_signals(text).trigger_phrases == expected


@pytest.mark.parametrize(
    "text",
    [
        "Our agency called",
        "humanity is great",
        "the cancellation arrived",
        "Where is my order?",
        "¿Dónde está mi pedido?",
    ],
)
def test_triggers_need_whole_words(text: str) -> None:
    signals = message_signals(text)
    assert signals.trigger_phrases == ()
    assert signals.negated_triggers == ()


def test_longest_phrase_wins_and_counts_once() -> None:
    signals = message_signals("Quiero cancelar mi cuenta, quiero cancelar mi cuenta")
    assert signals.trigger_phrases == ("cancelar mi cuenta",)


def test_negated_trigger_is_reported_but_not_counted() -> None:
    """Decision: "not frustrated" says the customer is *not* frustrated. The phrase is still
    reported, separately, so the agent sees what was said; it does not count as a signal."""
    signals = message_signals("I'm not frustrated at all, thanks")
    assert signals.trigger_phrases == ()
    assert signals.negated_triggers == ("frustrated",)
    assert signals.count == 0
    assert message_signals("I don't want to cancel my account").negated_triggers == (
        "cancel my account",
    )
    assert message_signals("No estoy harto, gracias").negated_triggers == ("harto",)


def test_negation_stops_at_the_clause_and_questions_still_ask() -> None:
    assert message_signals("No, I want a human").trigger_phrases == ("a human",)
    assert message_signals("¿No puedo hablar con un humano?").trigger_phrases == (
        "hablar con un humano",
    )


def test_shouting_counts_all_caps_words_but_not_codes() -> None:
    assert message_signals("WHERE is my ORDER").shouted_words == 2
    assert message_signals("Order ORD-100001 via DHL").shouted_words == 1
    assert message_signals("I am OK").shouted_words == 0
    assert message_signals("¡ESTOY HARTÍSIMO!").shouted_words == 2


def test_repeated_punctuation_counts_runs() -> None:
    assert message_signals("Where is it???").repeated_punctuation == 1
    assert message_signals("¿¿Dónde está?? ¡¡Ya!!").repeated_punctuation == 4
    assert message_signals("Thanks! Bye?").repeated_punctuation == 0


def test_repeated_messages_across_recent_turns() -> None:
    signals = frustration_signals(
        ["Where is my order?", "where is my order??", "Hello?", "WHERE IS MY ORDER", "ok", "ok"]
    )
    assert signals.messages == 6
    assert signals.repeated_messages == 2  # the two near-copies; short acks do not count
    assert signals.repeated_punctuation == 1
    assert signals.shouted_words == 2  # WHERE, ORDER (two-letter words are not shouting)


def test_a_new_message_repeating_an_earlier_one_is_told_apart() -> None:
    earlier = ["Where is my order?", "Hello?", "ok"]
    assert repeats_earlier("WHERE IS MY ORDER", earlier)
    assert not repeats_earlier("Can I return the shoes?", earlier)
    assert not repeats_earlier("ok", earlier)  # too short to count as a repeat
    assert not repeats_earlier("Where is my order?", [])


def test_signals_add_up_over_the_window() -> None:
    signals = frustration_signals(
        ["Mi pedido no llega", "Estoy harto!!!", "QUIERO hablar con alguien"]
    )
    assert signals == FrustrationSignals(
        messages=3,
        shouted_words=1,
        repeated_punctuation=1,
        repeated_messages=0,
        trigger_phrases=("harto", "hablar con alguien"),
        negated_triggers=(),
    )
    assert signals.count == 4


def test_calm_message_has_no_signal() -> None:
    assert message_signals("Thanks, that solved it.").count == 0
    assert frustration_signals([]).count == 0


def test_every_listed_phrase_matches_itself() -> None:
    phrases = trigger_phrases()
    assert len(phrases) > 60
    for phrase in phrases.values():
        assert phrase in message_signals(f"ok {phrase.upper()} ok").trigger_phrases
