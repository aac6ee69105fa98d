"""The crisis-language detector (bot/services/crisis_language.py) as members write.

Only the corpus parts tuned on (dev and dev_2 in bench/data/crisis_corpus.jsonl) are
asserted here; the held-out parts are for bench/crisis_detection.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.services import crisis_language
from bot.services.crisis_language import CATEGORIES, SEVERITY, assess, normalise

CORPUS = Path(__file__).resolve().parents[1] / "bench" / "data" / "crisis_corpus.jsonl"


def notes_of(split: str) -> list[tuple[str, bool]]:
    rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines()]
    return [(row["text"], row["label"] == "crisis") for row in rows if row["split"] == split]


# The parts tuned on, with the least each must hold.
TUNING_SPLITS = [("dev", 200, 140), ("dev_2", 150, 100)]


@pytest.mark.parametrize(("split", "least_crisis", "least_calm"), TUNING_SPLITS)
def test_the_tuning_splits_meet_the_goal(split: str, least_crisis: int, least_calm: int) -> None:
    notes = notes_of(split)
    crisis = [text for text, is_crisis in notes if is_crisis]
    calm = [text for text, is_crisis in notes if not is_crisis]
    assert len(crisis) >= least_crisis
    assert len(calm) >= least_calm
    missed = [text for text in crisis if not assess(text).crisis]
    alarms = [text for text in calm if assess(text).crisis]
    assert len(missed) / len(crisis) <= 0.05, missed
    assert len(alarms) / len(calm) <= 0.05, alarms


# Each category, in wording that is not in the corpus.
BY_CATEGORY = [
    (crisis_language.FIREARM, "thinking of eating my rifle tonight"),
    (crisis_language.FIREARM, "put a bullet through my head and be done"),
    (crisis_language.FIREARM, "sat in the dark with my loaded pistol again"),
    (crisis_language.FIREARM, "the barrel of the shotgun was in my mouth for a while"),
    (crisis_language.FIREARM, "the only peace I can picture is my pistol"),
    (crisis_language.OTHER_MEANS, "I tied a noose in the shed"),
    (crisis_language.OTHER_MEANS, "going to jump off the Route 9 bridge"),
    (crisis_language.OTHER_MEANS, "sat in the truck in the closed garage with it running"),
    (crisis_language.OVERDOSE, "been stockpiling my oxy for months"),
    (crisis_language.OVERDOSE, "took a whole bottle of ambien"),
    (crisis_language.HARM_TO_OTHERS, "I'm going to kill him when he gets home"),
    (crisis_language.HARM_TO_OTHERS, "gonna make every one of them pay"),
    (crisis_language.SUICIDAL, "I keep thinking about killing myself"),
    (crisis_language.SUICIDAL, "I'm planning to end my life"),
    (crisis_language.GOODBYE, "wrote a goodbye letter to my son"),
    (crisis_language.GOODBYE, "giving away my guns this weekend"),
    (crisis_language.GOODBYE, "this is my last check in"),
    (crisis_language.SELF_HARM, "burned myself with a lighter again"),
    (crisis_language.SELF_HARM, "keep hitting myself in the head"),
    (crisis_language.WISH_TO_DIE, "some nights I pray I don't wake up"),
    (crisis_language.WISH_TO_DIE, "I wish I was dead"),
    (crisis_language.SURVIVOR_GUILT, "I should have died over there with my squad"),
    (crisis_language.SURVIVOR_GUILT, "it should've been me, not Reyes"),
    (crisis_language.BURDEN, "everyone would be better off without me"),
    (crisis_language.BURDEN, "I'm just a burden on my family"),
    (crisis_language.HOPELESSNESS, "there's no reason to live anymore"),
    (crisis_language.HOPELESSNESS, "I can't keep doing this"),
]


@pytest.mark.parametrize(("category", "note"), BY_CATEGORY)
def test_each_category_is_caught_and_named(category: str, note: str) -> None:
    found = assess(note)
    assert found.crisis, note
    assert category in found.categories, (note, found.categories)


def test_every_category_has_an_example_and_a_severity() -> None:
    assert {category for category, _ in BY_CATEGORY} == set(CATEGORIES)
    assert set(SEVERITY) == set(CATEGORIES)


def test_lethal_means_come_first_and_are_urgent() -> None:
    found = assess("I'm a burden and I've been sitting with my loaded gun")
    assert found.categories[0] == crisis_language.FIREARM
    assert found.categories[-1] == crisis_language.BURDEN
    assert found.matches[0].severity == "urgent"
    assert {match.category for match in found.matches} == {"firearm", "burden"}


WORD_FORMS = [
    "ending it all tonight",
    "I ended it all once, almost",
    "I want to kill my self",
    "I want to kill myself",
    "thinking about hanging my self",
    "I'm going to end it",
]


@pytest.mark.parametrize("note", WORD_FORMS)
def test_word_forms_and_optional_words(note: str) -> None:
    assert assess(note).crisis, note


NEGATED_AND_CALM = [
    "I'm not suicidal",
    "not suicidal at all, just worn out",
    "I would never kill myself, my kids need me",
    "no thoughts of hurting myself this week",
    "I'm no longer suicidal and I'm proud of it",
    "I don't want to die, I want to get better",
    "haven't thought about suicide in a long time",
    "I'm not a burden anymore, I pull my weight",
    "used to think about ending it all, not now",
    "I used to feel like my wife would be better off without me. Not anymore",
]
NEGATED_BUT_NOT_CALM = [
    "I'm not okay, I want to die",
    "I no longer want to live",
    "I don't want to be alive",
    "I don't know why I want to die",
    "I'm not sleeping and I want to kill myself",
    "I can't stop thinking about killing myself",
    "I'm not suicidal but I've been saving my pills",
    "nothing helps I want to die",
    "no, I don't want to keep living",
    "I used to love this job, I want to die now",
    "used to be fine but now I want to die",
]


@pytest.mark.parametrize("note", NEGATED_AND_CALM)
def test_a_negation_sets_aside_what_it_scopes_over(note: str) -> None:
    assert not assess(note).crisis, (note, assess(note).phrases)


@pytest.mark.parametrize("note", NEGATED_BUT_NOT_CALM)
def test_a_negation_does_not_reach_past_its_clause_or_subject(note: str) -> None:
    assert assess(note).crisis, note


FIRST_PERSON_INTENT = [
    "I keep thinking about hanging",
    "I'm really thinking I might just pull the trigger",
    "honestly I hope I die soon",
    "I've been planning to throw myself in the river",
]
FIRST_PERSON_CALM = [
    "I hope I don't die on the drive up in this snow",
    "I'm trying not to die of heat stroke out here",
    "I'm thinking I won't pull the trigger on that truck",
    "I'm going to dye my hair for the kids' game",
    "my phone might die before the hearing",
    "I keep thinking about hanging the new shelves",
]


@pytest.mark.parametrize("note", FIRST_PERSON_INTENT)
def test_a_first_person_intent_then_a_way_of_dying_is_caught(note: str) -> None:
    assert assess(note).crisis, note


@pytest.mark.parametrize("note", FIRST_PERSON_CALM)
def test_the_first_person_rule_spares_negations_and_idioms(note: str) -> None:
    assert not assess(note).crisis, (note, assess(note).phrases)


def test_the_looser_rule_adds_nothing_where_a_pattern_matched() -> None:
    assert assess("I really want to die").phrases == ("want to die",)


TYPOS_AND_SLANG = [
    ("im going to kill myslef", "kill myself"),
    ("i want to kil myself", "kil myself"),
    ("feeling suicidle tonight", "suicide"),
    ("thinking about sucide", "suicide"),
    ("I want to end my lfie", "end my life"),
    ("i wnat to die", "want to die"),
    ("I want to k!ll myself", "kill myself"),
    ("su1c1dal again", "suicidal"),
    ("i want to unalive myself", "unalive"),
    ("kms", "kms"),
    ("thinking about sewerslide", "sewerslide"),
    ("gonna off myself", "off myself"),
    ("thinking about self-deleting", "self deleting"),
    ("want to catch the bus for good", "catch the bus for good"),
    ("ready to end my lif", "end my life"),
    ("i dont wanna be aliv", "dont wanna be alive"),
]


@pytest.mark.parametrize(("note", "phrase"), TYPOS_AND_SLANG)
def test_typos_look_alikes_and_slang(note: str, phrase: str) -> None:
    assert phrase in assess(note).phrases, (note, assess(note).phrases)


def test_typo_mending_leaves_real_words_alone() -> None:
    assert normalise("went hunting with my brother") == "went hunting with my brother"
    assert normalise("Myslef, Sucidal") == "myself | suicidal"
    assert normalise("my dad is dead tired") == "my dad is dead tired"
    for calm in (
        "been saving up to pay my bills",
        "went hunting myself this morning",
        "I'm waiting to hear from the judge",
        "ran 10 kms today",
        "I'm just going to catch the bus to court",
    ):
        assert not assess(calm).crisis, (calm, assess(calm).phrases)


SPANISH = [
    "me quiero morir",
    "quiero matarme",
    "no quiero vivir",
    "estoy pensando en suicidarme",
    "ya no aguanto",
    "ya no aguanto más",
    "ojalá no despertar",
]
SPANISH_CALM = [
    "no quiero morir, quiero estar bien",
    "me muero de hambre",
    "ya no aguanto este calor",
    "fui a una charla de prevención del suicidio",
]


@pytest.mark.parametrize("note", SPANISH)
def test_spanish_crisis_phrases(note: str) -> None:
    assert assess(note).crisis, note


@pytest.mark.parametrize("note", SPANISH_CALM)
def test_spanish_everyday_phrases(note: str) -> None:
    assert not assess(note).crisis, (note, assess(note).phrases)


FALSE_FRIENDS = [
    "range day with my son, cleaned the rifle after",
    "deer season opens saturday",
    "killing it at work this week",
    "this workout killed me",
    "dead tired after a double",
    "I could kill for a burger",
    "took my meds this morning",
    "the doctor prescribed new pills for sleep",
    "shot a round of golf",
    "suicide prevention training at the VA",
    "we lost a buddy to suicide last year, went to his memorial",
    "dying to see my kids",
    "this is my last check-in before court, wish me luck",
    "cut myself shaving",
    "beating myself up about missing group",
    "she ended it with me last month",
]


@pytest.mark.parametrize("note", FALSE_FRIENDS)
def test_everyday_false_friends(note: str) -> None:
    assert not assess(note).crisis, (note, assess(note).phrases)


def test_an_empty_note_is_calm() -> None:
    assert assess(None) == crisis_language.Assessment(False, ())
    assert assess("").categories == ()


# The co-occurrence layer: a means (or a sign) and a cue anywhere in the note, in wording
# no pattern spells out and that is not in the corpus.
CO_OCCURRING = [
    (crisis_language.FIREARM, "made up my mind, the ruger this saturday"),
    (crisis_language.FIREARM, "the 12 gauge is loaded and leaning by my bed"),
    (crisis_language.FIREARM, "if it gets worse there's always the .38 in the nightstand"),
    (crisis_language.OVERDOSE, "got a ziploc full of klonopin hidden in the garage"),
    (crisis_language.OVERDOSE, "the xanax and a fifth of jack are on the table"),
    (crisis_language.OTHER_MEANS, "keep a rope behind the seat of my truck these days"),
    (crisis_language.OTHER_MEANS, "drove out to the railroad tracks again at midnight"),
    (crisis_language.GOODBYE, "signed the truck title over to my son today"),
    (crisis_language.GOODBYE, "passwords and life insurance are in the drawer if anything happens"),
    (crisis_language.GOODBYE, "tired of all of it and at peace now, ready to go"),
    (crisis_language.HOPELESSNESS, "dont think ill be around for the next review hearing"),
    (crisis_language.HOPELESSNESS, "not gonna be here for the next hearing"),
    (crisis_language.WISH_TO_DIE, "honestly wouldnt mind if a semi ran me over"),
    (crisis_language.SURVIVOR_GUILT, "my guys are waiting for me"),
]


@pytest.mark.parametrize(("category", "note"), CO_OCCURRING)
def test_a_means_or_sign_with_a_cue_is_caught(category: str, note: str) -> None:
    found = assess(note)
    assert found.crisis, note
    assert category in found.categories, (note, found.categories)


# The same terms and cues in a benign frame: each note holds a cue, so only the frame keeps
# it calm.
BENIGN_FRAMES = [
    "took the ruger out to the range saturday, shot tight groups",
    "loaded up the 12 gauge for duck season opening saturday",
    "picked up my rifle from the gunsmith, straight back in the safe",
    "my brother is holding my pistol for a while, my idea, feel better",
    "tonight i'm cleaning the shotgun after the trap shoot",
    "picked up all my meds at the va pharmacy tonight",
    "took all of my pills on time this week",
    "bought a rope tonight for the tire swing",
    "looked at the bridge lights from the park tonight, nice view",
    "giving my old truck to my nephew since i got a new one, he's ready for it",
    "updated my life insurance beneficiaries today for the new baby",
    "tired but packed and ready to go",
    "i won't be around next week, going to my mom's",
    "going to see my guys at the reunion this weekend, ready for it",
]


@pytest.mark.parametrize("note", BENIGN_FRAMES)
def test_a_benign_frame_keeps_the_means_calm(note: str) -> None:
    assert not assess(note).crisis, (note, assess(note).phrases)


def test_a_strong_cue_counts_inside_a_benign_frame() -> None:
    found = assess("cleaned the pistol one more time, loaded it, set it by the bed")
    assert found.categories[0] == crisis_language.FIREARM
    assert not assess("cleaned the pistol, loaded it, set it by the bed for the night").crisis


def test_a_negated_benign_frame_is_no_frame() -> None:
    assert assess("the rifle is loaded and its not hunting season").crisis
    assert not assess("the rifle is loaded, its hunting season").crisis


def test_a_terms_own_negation_does_not_negate_its_cue() -> None:
    found = assess("i won't make it to graduation")
    assert crisis_language.HOPELESSNESS in found.categories
    # A negation in front of the cue itself still counts: no cue, nothing fires.
    assert assess("the rifle is out and i'm alone").crisis
    assert not assess("the rifle is out and i'm not alone").crisis


def test_a_wish_needs_a_way_of_dying_not_just_any_if() -> None:
    assert crisis_language.WISH_TO_DIE in assess("wouldnt mind if the cancer came back").categories
    assert not assess("i don't mind if you call me tonight").crisis
    assert crisis_language.WISH_TO_DIE in assess("half of me hopes the tumor takes me").categories
    assert not assess("hoping my buddy takes me fishing saturday").crisis


def test_a_calibre_is_a_word() -> None:
    assert normalise("my .45 and a .308") == "my 45 and a 308"
    assert assess("if it gets worse I have my .45").crisis
