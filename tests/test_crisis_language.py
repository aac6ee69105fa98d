"""The crisis-language detector (bot/services/crisis/language.py, with its learned stage
bot/services/crisis/model.py) as members write.

Only the parts tuned on (dev and dev_2 in bench/data/crisis_corpus.jsonl, dev_3 in
bench/data/crisis_dev.jsonl) are asserted here; the held-out parts are for
bench/crisis_detection.py, and dev_holdout is never read by a test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.services.crisis import CATEGORIES, SEVERITY, assess, crisis_in, normalise
from bot.services.crisis import language as crisis_language
from bot.services.crisis import model as crisis_model

DATA = Path(__file__).resolve().parents[1] / "bench" / "data"
CORPUS = DATA / "crisis_corpus.jsonl"
DEV_SET = DATA / "crisis_dev.jsonl"


def notes_of(split: str, path: Path = CORPUS) -> list[tuple[str, bool]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return [(row["text"], row["label"] == "crisis") for row in rows if row["split"] == split]


# The parts tuned on, with the least each must hold.
TUNING_SPLITS = [
    ("dev", 200, 140, CORPUS),
    ("dev_2", 150, 100, CORPUS),
    ("dev_3", 250, 250, DEV_SET),
]


@pytest.mark.parametrize(("split", "least_crisis", "least_calm", "path"), TUNING_SPLITS)
def test_the_tuning_splits_meet_the_goal(
    split: str, least_crisis: int, least_calm: int, path: Path
) -> None:
    notes = notes_of(split, path)
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
    (crisis_language.LEARNED, "nobody would even notice"),
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


# The broadened families (issue 11): each note is in wording that is in no corpus part, and
# the lexicon alone must catch it (the learned stage is off here, so it cannot hide a gap).
BROADENED = [
    (crisis_language.FIREARM, "bought a revolver, not for home defense"),
    (crisis_language.FIREARM, "sold the rest of the collection, saving one round for myself"),
    (crisis_language.FIREARM, "told my wife the shotgun was for hunting. it isnt"),
    (
        crisis_language.OTHER_MEANS,
        "thinking about wading out into the ocean tonight and not coming back",
    ),
    (crisis_language.OTHER_MEANS, "spent the evening reading up on knots"),
    (crisis_language.OTHER_MEANS, "there's a sturdy rafter in the shop"),
    (crisis_language.OTHER_MEANS, "on the drive home i kept hoping i'd lose control on the ice"),
    (crisis_language.OTHER_MEANS, "sat there an hour trying to work up the nerve to step"),
    (crisis_language.OTHER_MEANS, "been drinking a little antifreeze every night"),
    (crisis_language.OTHER_MEANS, "pienso tirarme al río"),
    (crisis_language.OVERDOSE, "been holding back some of my doses all month"),
    (crisis_language.OVERDOSE, "took everything in my cabinet"),
    (crisis_language.HARM_TO_OTHERS, "I keep having thoughts about strangling my landlord"),
    (crisis_language.HARM_TO_OTHERS, "I picture ramming my truck into the crowd at the game"),
    (crisis_language.HARM_TO_OTHERS, "one more word and i'll put that guy in the ground"),
    (crisis_language.HARM_TO_OTHERS, "if i go down i'm taking the whole shift with me"),
    (crisis_language.HARM_TO_OTHERS, "want to burn the office down with the manager inside"),
    (crisis_language.HARM_TO_OTHERS, "been thinking about shooting up the unit"),
    (crisis_language.HARM_TO_OTHERS, "i'll make that whole HR department pay"),
    (crisis_language.HARM_TO_OTHERS, "i'll kick him until he stops breathing"),
    (crisis_language.HARM_TO_OTHERS, "lost my temper and choked my wife last night"),
    (crisis_language.HARM_TO_OTHERS, "i found out where he parks"),
    (crisis_language.HARM_TO_OTHERS, "keep a bat by the door and i'll use it on him next time"),
    (crisis_language.HARM_TO_OTHERS, "i'm stabbing him the minute he shows up"),
    (crisis_language.HARM_TO_OTHERS, "nobody leaves out of here alive"),
    (crisis_language.SUICIDAL, "thinking about clocking out for the last time"),
    (crisis_language.SUICIDAL, "might do a self checkout this weekend"),
    (crisis_language.SUICIDAL, "gonna yeet myself off the parking deck"),
    (crisis_language.SUICIDAL, "maybe a lead pill is the answer"),
    (crisis_language.SUICIDAL, "kys kys kys"),
    (crisis_language.SUICIDAL, "ready to take the long sleep"),
    (
        crisis_language.SUICIDAL,
        "thinking about a permanent vacation, the kind you dont come back from",
    ),
    (crisis_language.SUICIDAL, "might take a long walk off a short pier"),
    (crisis_language.SUICIDAL, "game over for me, no respawn"),
    (crisis_language.SUICIDAL, "gonna be one of the 22 soon"),
    (crisis_language.SUICIDAL, "I'm about to become another statistic"),
    (crisis_language.SUICIDAL, "time to end my watch"),
    (crisis_language.SUICIDAL, "see you all on the other side"),
    (crisis_language.SUICIDAL, "I'm ready to go home, and I don't mean back to Ohio"),
    (crisis_language.SUICIDAL, "got fired, might as well finish the job"),
    (crisis_language.SUICIDAL, "won't be a burden for anyone much longer"),
    (crisis_language.SUICIDAL, "by this weekend it'll be over"),
    (crisis_language.SUICIDAL, "you won't have to worry about me anymore"),
    (crisis_language.SUICIDAL, "you'll never have to bail me out again. permanently"),
    (crisis_language.SUICIDAL, "soon nothing will hurt anymore"),
    (crisis_language.SUICIDAL, "the only way out i see is the bridge"),
    (crisis_language.SUICIDAL, "made peace with it, everything is in order"),
    (crisis_language.SUICIDAL, "I've made my decision and I feel calm about it"),
    (crisis_language.SUICIDAL, "it will be quiet soon, i made sure"),
    (crisis_language.SUICIDAL, "it's almost over. thank you all"),
    (crisis_language.SUICIDAL, "two more from my unit this year. i'm next and i'm ok with it"),
    (crisis_language.GOODBYE, "signing off for good"),
    (crisis_language.GOODBYE, "it has been an honor serving with you all"),
    (crisis_language.GOODBYE, "please don't blame yourselves"),
    (crisis_language.GOODBYE, "hugged the kids goodbye tonight"),
    (crisis_language.GOODBYE, "said bye to my sponsor"),
    (crisis_language.GOODBYE, "took my dog to the shelter this morning"),
    (crisis_language.GOODBYE, "gave my nephew my rifles and my medals"),
    (crisis_language.GOODBYE, "made sure the dog has food since i won't be around"),
    (crisis_language.GOODBYE, "this is the last week you'll have to deal with me"),
    (crisis_language.GOODBYE, "showed my brother where the life insurance papers are"),
    (crisis_language.GOODBYE, "won't leave the cat alone when i'm gone"),
    (crisis_language.GOODBYE, "dejé cartas para mis hijos"),
    (crisis_language.SELF_HARM, "threw my hand into the door frame on purpose"),
    (crisis_language.SELF_HARM, "i dug my fingernails into my palms until they bled"),
    (crisis_language.SELF_HARM, "been pulling my hair out again"),
    (crisis_language.SELF_HARM, "hitting my legs with a belt buckle"),
    (crisis_language.SELF_HARM, "scrubbed my arms raw in the shower"),
    (crisis_language.SELF_HARM, "keep slamming my head against the door until i see stars"),
    (crisis_language.SELF_HARM, "smashed the window with my fist and kept going"),
    (crisis_language.SELF_HARM, "i want my body to suffer"),
    (crisis_language.SELF_HARM, "i don't deserve to eat"),
    (crisis_language.SELF_HARM, "branded my arm with a hot knife"),
    (crisis_language.SURVIVOR_GUILT, "ready to go be with my brothers now"),
    (crisis_language.SURVIVOR_GUILT, "i'd trade places with doc in a heartbeat"),
    (crisis_language.SURVIVOR_GUILT, "everyone from that convoy is gone. my turn for me to go"),
    (crisis_language.SURVIVOR_GUILT, "being alive feels wrong when they aren't"),
    (crisis_language.SURVIVOR_GUILT, "feels like i stole my life from him"),
    (crisis_language.SURVIVOR_GUILT, "I think about dying so I can see them every night"),
    (crisis_language.SURVIVOR_GUILT, "debí haber muerto con ellos"),
    (crisis_language.WISH_TO_DIE, "woke up again. ugh"),
    (crisis_language.WISH_TO_DIE, "disappointed when i wake up every day"),
    (crisis_language.WISH_TO_DIE, "praying my heart gives out in my sleep"),
    (crisis_language.WISH_TO_DIE, "hoping the scan shows something terminal"),
    (crisis_language.WISH_TO_DIE, "if that truck had killed me i'd be relieved"),
    (crisis_language.WISH_TO_DIE, "i want to vanish and not exist"),
    (crisis_language.WISH_TO_DIE, "want to close my eyes and just stop"),
    (crisis_language.WISH_TO_DIE, "i'm ready to stop breathing"),
    (crisis_language.WISH_TO_DIE, "quisiera desaparecer para siempre"),
    (crisis_language.BURDEN, "i'd be doing my family a favor by leaving for good"),
    (crisis_language.BURDEN, "the best thing i can do for my kids is disappear"),
    (crisis_language.BURDEN, "if i die it's a win win"),
    (crisis_language.BURDEN, "cheaper for my family once i'm dead"),
    (crisis_language.BURDEN, "the world would be quieter without me"),
    (crisis_language.BURDEN, "they'd all be better off if i never came back"),
    (crisis_language.BURDEN, "i'm not worth the trouble of saving"),
    (crisis_language.BURDEN, "when i'm dead they can sell the house"),
    (crisis_language.BURDEN, "gonna make it so they never have to pay my bills again"),
    (crisis_language.HOPELESSNESS, "i'm giving up trying to stay alive"),
    (crisis_language.HOPELESSNESS, "killing myself is the only answer left"),
    (crisis_language.HOPELESSNESS, "can't see a reason to wake up"),
    (crisis_language.HOPELESSNESS, "i don't see why i should bother"),
    (crisis_language.HOPELESSNESS, "can't imagine being here by christmas"),
    (crisis_language.HOPELESSNESS, "i no longer want to keep existing"),
    (crisis_language.HOPELESSNESS, "why hang around any longer"),
    (crisis_language.HOPELESSNESS, "my life is a prison, might as well"),
    (crisis_language.HOPELESSNESS, "I'm done. just done."),
    (crisis_language.HOPELESSNESS, "estoy cansado de vivir"),
]


@pytest.mark.parametrize(("category", "note"), BROADENED)
def test_the_broadened_families_are_caught_by_the_lexicon_alone(category: str, note: str) -> None:
    found = assess(note, use_model=False)
    assert found.crisis, note
    assert category in found.categories, (note, found.categories)


# Everyday notes near the new families: the lexicon's guards that keep them calm (a crisis
# told as past and resolved, a helper's question answered "no", reloading and varmints, a
# pill alarm, a goodbye at the airport ...). The lexicon alone: the learned stage has its
# own false alarms (bench/crisis_detection.py counts them), and a note the lexicon sets
# aside never reaches it.
BROADENED_CALM = [
    "back in 2015 I wanted to die every day. doing good now",
    "at my worst I thought everyone was better off without me. haven't felt that in years",
    "the chili was so hot I thought I was gonna die",
    "in the class we practised what to say if a buddy talks about wanting to die",
    "five years since my last suicide attempt and going strong",
    "shared my past suicide attempt at group, felt good to say it",
    "it's like CPR but for suicide",
    "my therapist asked if I was suicidal and honestly I'm not",
    "zero thoughts of hurting myself this month",
    "reloading 9mm brass this weekend",
    "sat out with the rifle for coyotes last night",
    "phone alarm reminds me to take my pills every night",
    "started on lithium, blood work next week",
    "burned myself on the stove making eggs",
    "said goodbye to my mom at the airport",
    "kissed her goodbye and left for work",
    "see you on the other side of the holidays",
    "22 a day is why I do the ruck march",
    "i'd trade places with you any day, your job is easy",
    "banging my head against the wall with this VA paperwork",
    "found a good beam for the deck at the lumber yard",
]


@pytest.mark.parametrize("note", BROADENED_CALM)
def test_the_guards_keep_everyday_notes_near_the_new_families_calm(note: str) -> None:
    found = assess(note, use_model=False)
    assert not found.crisis, (note, found.phrases)


def test_a_crisis_told_as_past_is_set_aside_only_when_it_is_resolved() -> None:
    past = assess("back in 2015 I wanted to die every day. doing good now", use_model=False)
    assert not past.crisis
    assert past.set_aside
    # No sign of recovery, or the crisis back in the present: not set aside.
    assert assess("back in 2015 I wanted to die every day", use_model=False).crisis
    assert assess("I used to be proud of my service, now I still want to die").crisis


def test_a_helpers_question_is_calm_only_when_the_answer_is_no() -> None:
    assert not assess("my therapist asked if I was suicidal and honestly I'm not").crisis
    assert assess("my therapist asked if I was suicidal and I said yes").crisis


# ----- the learned stage (bot/services/crisis/model.py, bot/data/crisis_model.json) -----


def test_the_shipped_model_loads_from_json() -> None:
    document = json.loads(crisis_model.MODEL_PATH.read_text(encoding="utf-8"))
    model = crisis_model.load()
    assert model is not None
    assert model == crisis_model.parse(document)
    assert len(model.weights) > 1000
    assert 0 < model.threshold <= model.veto_threshold < 1


def test_model_scoring_is_deterministic() -> None:
    model = crisis_model.load()
    assert model is not None
    text = normalise("Nobody would even notice, honestly")
    # Words, pairs of words and runs of four to six characters, clause by clause.
    assert crisis_model.features("im done | ok") == {
        "w:im", "w:done", "b:im done", "w:ok",
        "c: im ", "c:im d", "c:m do", "c: don", "c:done", "c:one ",
        "c: im d", "c:im do", "c:m don", "c: done", "c:done ",
        "c: im do", "c:im don", "c:m done", "c: done ",
        "c: ok ",
    }  # fmt: skip
    scores = {model.score(text) for _ in range(3)}
    assert len(scores) == 1
    fresh = crisis_model.parse(json.loads(crisis_model.MODEL_PATH.read_text(encoding="utf-8")))
    assert fresh.score(text) == scores.pop()


# Caught by the learned stage alone: no pattern spells these out.
MODEL_ONLY = [
    "nobody would even notice",
    "everyone would be fine if i vanished",
    "i'm worthless and everyone knows it",
    "tired of being the problem in everyone's life",
    "i just want it all to go quiet forever",
]
MODEL_CALM = [
    "had a good day at the park with the kids",
    "fixed the fence today",
    "the game went into overtime",
    "tired after work, going to bed early",
]


@pytest.mark.parametrize("note", MODEL_ONLY)
def test_the_model_catches_what_no_pattern_spells_out(note: str) -> None:
    assert not assess(note, use_model=False).crisis, note
    found = assess(note)
    assert found.crisis, (note, found.model_score)
    assert found.categories == (crisis_language.LEARNED,)


@pytest.mark.parametrize("note", MODEL_CALM)
def test_the_model_leaves_everyday_notes_alone(note: str) -> None:
    found = assess(note)
    assert not found.crisis
    assert found.model_score is not None
    assert found.model_score < 0.5, (note, found.model_score)


def test_the_model_runs_only_where_no_pattern_matched() -> None:
    assert assess("I want to die").model_score is None
    assert assess("fixed the fence today").model_score is not None
    assert assess("fixed the fence today", use_model=False).model_score is None


def test_the_lexicons_calm_readings_veto_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    # A hand-made model, sure of crisis wherever "suicidal" or "sleep" appears.
    weights = {"w:suicidal": 10.0, "w:sleep": 10.0}
    model = crisis_model.Model(bias=0.0, weights=weights, threshold=0.5, veto_threshold=0.99)
    monkeypatch.setattr(crisis_model, "load", lambda: model)
    # A match the lexicon set aside as negated or harmless: the model is not asked.
    for calm in ("I'm not suicidal", "went to suicide prevention training"):
        found = assess(calm)
        assert found.set_aside, calm
        assert not found.crisis, calm
        assert found.model_score is None, calm
    # A negation word, nothing set aside: the model's score must reach the veto threshold.
    negated = assess("I can't sleep")
    assert negated.model_score is not None
    assert 0.5 < negated.model_score < 0.99
    assert not negated.crisis
    assert assess("I sleep all day").crisis
    monkeypatch.setattr(crisis_model, "load", lambda: crisis_model.Model(0.0, weights, 0.5, 0.6))
    assert assess("I can't sleep").crisis


def test_without_its_file_the_lexicon_works_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert crisis_model.load.__wrapped__(tmp_path / "missing.json") is None
    assert "could not be loaded" in caplog.text
    monkeypatch.setattr(crisis_model, "load", lambda: None)
    assert assess("I want to die").crisis
    assert not assess("nobody would even notice").crisis


@pytest.mark.parametrize(
    "fields",
    [
        ("all my pills", "tonight so i can sleep forever"),
        ("Zoloft", "the whole bottle", "all at once"),
        ("say goodbye to everyone", "tomorrow before I end it"),
    ],
)
def test_crisis_words_split_over_one_forms_fields_are_read_together(
    fields: tuple[str, ...],
) -> None:
    assert crisis_in(*fields)


def test_calm_fields_stay_calm_together_and_any_one_field_counts() -> None:
    assert not crisis_in("Sertraline", "50 mg", None, "the doctor raised it, feeling steadier")
    assert not crisis_in("clean the rifle", "saturday 9am")
    assert not crisis_in(None, "", "   ")
    assert crisis_in("Sertraline", "50 mg", "I want to die")


# ----- detect6: pattern families, frames and the targeted veto -----

# Each family in wording that is in no corpus file, read by the lexicon alone.
FAMILIES = [
    (crisis_language.FIREARM, "racked the slide on my pistol and sat on the bed"),
    (crisis_language.FIREARM, "the muzzle was cold against my temple"),
    (crisis_language.FIREARM, "i can't get the shotgun out of my head"),
    (crisis_language.OTHER_MEANS, "picked out a spot on the overpass where no one would see"),
    (crisis_language.OTHER_MEANS, "bought a helium tank and a mask"),
    (crisis_language.OVERDOSE, "been cheeking my seroquel for weeks"),
    (crisis_language.OVERDOSE, "the whole bottle"),
    (crisis_language.GOODBYE, "tying up loose ends this week"),
    (crisis_language.GOODBYE, "i want my grandson to have my flag"),
    (crisis_language.BURDEN, "i'm worth more dead to my family"),
    (crisis_language.HOPELESSNESS, "life feels completely pointless"),
    (crisis_language.HOPELESSNESS, "i don't see myself making it to spring"),
    (crisis_language.SUICIDAL, "i'll be dead by sunday"),
    (crisis_language.SUICIDAL, "my last formation is coming"),
    (crisis_language.SUICIDAL, "see you all in valhalla"),
    (crisis_language.SUICIDAL, "don't worry about me after tonight"),
    (crisis_language.WISH_TO_DIE, "wish i had never survived that ambush"),
    (crisis_language.SELF_HARM, "i stopped eating to punish myself"),
    (crisis_language.HOPELESSNESS, "no veo otra salida"),
    (crisis_language.OTHER_MEANS, "me voy a tirar del edificio"),
]


@pytest.mark.parametrize(("category", "note"), FAMILIES)
def test_the_detect6_families_catch_new_wordings(category: str, note: str) -> None:
    found = assess(note, use_model=False)
    assert found.crisis, note
    assert category in found.categories, (note, found.categories)


# Everyday notes those families must leave alone.
FAMILY_FALSE_FRIENDS = [
    "i'm at the end of my rope with this paperwork",
    "giving away the old crib to my sister, she's expecting",
    "i'm so tired i could die",
    "took the lock off the rifle to clean it and locked it back up",
    "i'm going to kill whoever ate my lunch",
    "drank the whole bottle of water after the ruck",
    "signed the truck over to my son, he just got his license",
    "a year ago i had a gun to my head. this year i'm at my daughter's wedding",
    "i stopped hurting myself two years ago",
    "took a sleeping pill, finally got some rest",
]


@pytest.mark.parametrize("note", FAMILY_FALSE_FRIENDS)
def test_the_detect6_families_spare_everyday_notes(note: str) -> None:
    assert not assess(note).crisis, (note, assess(note).phrases)


def test_the_veto_applies_only_where_a_negation_makes_the_note_calmer() -> None:
    # A negation the model reads as part of the crisis ("don't want to wake up").
    crisis_negation = crisis_model.Model(0.0, {"w:dont": 5.0, "w:wake": 5.0}, 0.5, 0.99)
    assert not crisis_language.calmed_by_negation(crisis_negation, "i dont want to wake up")
    # A negation the model reads as calming ("I hope I don't die on the drive").
    calming_negation = crisis_model.Model(0.0, {"w:dont": -5.0, "w:die": 5.0}, 0.5, 0.99)
    assert crisis_language.calmed_by_negation(calming_negation, "i hope i dont die")
    # No negation word: nothing to veto.
    assert not crisis_language.calmed_by_negation(calming_negation, "i hope i die")


def test_a_means_kept_calm_by_a_benign_frame_needs_the_veto_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    note = "i won't be around next week, going to my mom's"
    assert assess(note, use_model=False).framed
    sure = crisis_model.Model(0.0, {"w:around": 50.0}, 0.5, 0.999)
    monkeypatch.setattr(crisis_model, "load", lambda: sure)
    found = assess(note)
    assert found.model_score is not None
    assert 0.5 < found.model_score < 0.999
    assert not found.crisis
    lenient = crisis_model.Model(0.0, sure.weights, 0.5, 0.6)
    monkeypatch.setattr(crisis_model, "load", lambda: lenient)
    assert assess(note).crisis


# ----- detect9: goodbyes, other means, survivor guilt, no future, pills, harm to others;
# and whole notes told as past and resolved, or about helping someone else -----

DETECT9_FAMILIES = [
    (crisis_language.GOODBYE, "nothing left to tie up now, said what i had to say"),
    (crisis_language.GOODBYE, "squared away all my affairs this week"),
    (crisis_language.GOODBYE, "found the cat a home before i go"),
    (crisis_language.GOODBYE, "funeral home is prepaid already, one less thing"),
    (crisis_language.GOODBYE, "wont be at group tuesday or any week after"),
    (crisis_language.GOODBYE, "cancelled all my subscriptions, goodbyes are done"),
    (crisis_language.OTHER_MEANS, "nobody would know, would look like an accident"),
    (crisis_language.OTHER_MEANS, "keep going back to the quarry to look over the edge"),
    (crisis_language.SURVIVOR_GUILT, "would be more fair if i went instead of him"),
    (crisis_language.SURVIVOR_GUILT, "i cant live with being the one who came home"),
    (crisis_language.SURVIVOR_GUILT, "three of us left from the platoon. ill be the next one"),
    (crisis_language.SURVIVOR_GUILT, "sick of pretending i deserve to be here"),
    (crisis_language.HOPELESSNESS, "cant picture myself at 50 honestly"),
    (crisis_language.HOPELESSNESS, "feel like a dead man walking"),
    (crisis_language.OVERDOSE, "the stockpile is big enough now"),
    (crisis_language.HARM_TO_OTHERS, "loaded up and drove past her house again"),
]


@pytest.mark.parametrize(("category", "note"), DETECT9_FAMILIES)
def test_the_detect9_families_are_caught_by_the_lexicon(category: str, note: str) -> None:
    found = assess(note, use_model=False)
    assert found.crisis, note
    assert category in {match.category for match in found.matches}, (note, found.phrases)


DETECT9_LOOK_ALIKES = [
    "squared away my affairs before the deployment",
    "ill be next in line at the dmv",
    "got a new hunting knife for deer season",
    "went to the top of the parking garage to watch the fireworks",
    "no future in this job honestly, looking for something else",
]


@pytest.mark.parametrize("note", DETECT9_LOOK_ALIKES)
def test_the_detect9_families_spare_their_look_alikes(note: str) -> None:
    found = assess(note, use_model=False)
    assert not found.crisis, (note, found.phrases)


# Whole notes set aside, lexicon and model both: the crisis told as over, with a recovery
# in the present tense; or the writer helping someone else in crisis.
TOLD_AS_OVER_OR_ABOUT_OTHERS = [
    "three years ago i wanted to die. today im grateful i stayed",
    "back when i got out i had the pistol in my mouth, im in a good place now",
    "in 09 i tried to hang myself. now i coach my sons team",
    "i wrote goodbye letters once. burned them when i got my chip",
    "had a knife to my wrist the night she left. that was 5 years ago, im happy now",
    "my buddy called at 3am saying he wanted to die. sat with him till morning, got him to the va",
    "how do i help a friend who keeps saying hes a burden",
    "drove my cousin to the er, he said he'd been saving his pills. hes stable now",
    "my brother gave all his stuff away so we checked on him, he's safe",
]


@pytest.mark.parametrize("note", TOLD_AS_OVER_OR_ABOUT_OTHERS)
def test_a_note_told_as_over_or_about_someone_else_is_set_aside_whole(note: str) -> None:
    found = assess(note)
    assert not found.crisis, (note, found.phrases)
    assert found.set_aside
    assert found.model_score is None  # the model never saw it


# The present danger that mentions the past, or the writer's own crisis beside someone
# else's, is not set aside.
PRESENT_DANGER_NEAR_THE_FRAMES = [
    "i was fine for years but its back and the gun is in the truck",
    "used to have it under control. not anymore, the pistol is on the nightstand",
    "used to be better, now i think about killing myself every day",
    "quit my meds a month ago and saved them. now i have a whole pile and one plan",
    "my buddy shot himself last week and i think i should go too",
    "sat with my friend at the er after he tried and honestly i wish it was me",
    "my sister visited, i gave her my dog tags and told her i wont need them anymore",
    "i remember when i was happy. now i just want it over",
    "my wife is worried about me, i keep thinking about the pistol",
    "went to docs memorial today. i want to be with him",
]


@pytest.mark.parametrize("note", PRESENT_DANGER_NEAR_THE_FRAMES)
def test_present_danger_near_the_past_or_helping_frames_is_caught(note: str) -> None:
    found = assess(note)
    assert found.crisis, (note, found.phrases)


# ----- h11: goodbyes as a pet or a family placed, other means as a car steered at traffic
# or gas called painless, survivor guilt as a place with the dead, a safeguard got round;
# and more of the past and helping frames -----

H11_FAMILIES = [
    (crisis_language.GOODBYE, "can somebody look after my cat for me"),
    (crisis_language.GOODBYE, "dont let my dog end up at the shelter"),
    (crisis_language.GOODBYE, "make sure the harley goes to my nephew"),
    (crisis_language.GOODBYE, "whoever finds this first"),
    (crisis_language.GOODBYE, "diganle a mi esposa que la amo"),
    (crisis_language.OTHER_MEANS, "keep veering toward oncoming traffic on the drive home"),
    (crisis_language.OTHER_MEANS, "exhaust is supposed to be peaceful"),
    (crisis_language.OTHER_MEANS, "gonna wade into the river tonight and keep going"),
    (crisis_language.OTHER_MEANS, "the charcoal is for me, not the grill"),
    (crisis_language.OVERDOSE, "gonna overdose with whiskey tonight"),
    (crisis_language.OVERDOSE, "how many of my sleeping pills would it take"),
    (crisis_language.SURVIVOR_GUILT, "i owe it to the guys to join them"),
    (crisis_language.SURVIVOR_GUILT, "doc went in march and im about ready to follow him"),
    (crisis_language.SURVIVOR_GUILT, "i was meant to die alongside my squad"),
    (crisis_language.SURVIVOR_GUILT, "my whole team has been waiting on me up there"),
    (crisis_language.WISH_TO_DIE, "i wish that sniper had finished the job"),
    (crisis_language.FIREARM, "the barrel tastes like metal and i keep doing it"),
    (crisis_language.FIREARM, "wife keeps my rifles but i just ordered another one"),
    (crisis_language.FIREARM, "i kept a bullet with my name on it"),
    (crisis_language.BURDEN, "if i died tonight no one would even notice"),
    (crisis_language.SUICIDAL, "dont want to be alive anymore"),
    (crisis_language.SUICIDAL, "my mind is made up. tonight"),
]


@pytest.mark.parametrize(("category", "note"), H11_FAMILIES)
def test_the_h11_families_are_caught_by_the_lexicon(category: str, note: str) -> None:
    found = assess(note, use_model=False)
    assert found.crisis, note
    assert category in {match.category for match in found.matches}, (note, found.phrases)


H11_LOOK_ALIKES = [
    "can you look after my dog for me this weekend while im at drill",
    "watched my buddys cat for him while he was on vacation",
    "fixed the exhaust leak, the garage doesnt stink anymore",
    "im at the end of my rope with this landlord",
    "wrote my will at legal aid since the baby came",
    "my boys are waiting on me at the bar, gotta go",
    "the guys are waiting for me in the truck",
]


@pytest.mark.parametrize("note", H11_LOOK_ALIKES)
def test_the_h11_families_spare_their_look_alikes(note: str) -> None:
    found = assess(note)
    assert not found.crisis, (note, found.phrases)


H11_TOLD_AS_OVER_OR_ABOUT_OTHERS = [
    "last spring i wrote a goodbye note. doing a lot better now",
    "a couple years back i was hoarding my meds. my doctor helped me and im ok now",
    "once sat on the bridge rail at night. still grateful i climbed down",
    "my neighbor had a rope in his garage. i found him in time, hes in the hospital now",
    "a sailor i sponsor said he wants to die. i called and drove over, he was okay",
    "helped a guy at the shelter who said he was done living. got him a bed at the va",
]


@pytest.mark.parametrize("note", H11_TOLD_AS_OVER_OR_ABOUT_OTHERS)
def test_more_past_and_helping_frames_set_the_note_aside(note: str) -> None:
    found = assess(note)
    assert not found.crisis, (note, found.phrases)
    assert found.set_aside


H11_PRESENT_DANGER = [
    "last spring i wrote a goodbye note. was doing better but its back this time",
    "a few months back i stopped. now i have the pills counted again",
    "my buddy said he wanted to die, i sat with him, and i want to die too",
]


@pytest.mark.parametrize("note", H11_PRESENT_DANGER)
def test_the_wider_frames_still_let_present_danger_through(note: str) -> None:
    assert assess(note).crisis, note


# ----- short notes: the model is not asked about a note of one or two words -----


@pytest.mark.parametrize("note", ["second note", "fourth note", "a note", "note", "ok again"])
def test_the_model_is_silent_on_a_note_too_short_to_weigh(note: str) -> None:
    assert not crisis_model.speaks_on(normalise(note))
    found = assess(note)
    assert not found.crisis, note
    assert found.model_score is None  # not asked


def test_the_model_speaks_from_three_words(monkeypatch: pytest.MonkeyPatch) -> None:
    # A hand-made model, sure of crisis wherever "note" appears.
    sure = crisis_model.Model(bias=0.0, weights={"w:note": 50.0}, threshold=0.5, veto_threshold=0.9)
    monkeypatch.setattr(crisis_model, "load", lambda: sure)
    assert assess("one more note").crisis
    assert not assess("second note").crisis
    # Short crisis notes are the lexicon's: it catches them whatever the model says.
    assert assess("kill myself").crisis
    assert assess("im done").crisis


# ----- h11c families (bench/data/crisis_h11c.jsonl): wording not in any data file -----

H11C_FAMILIES = [
    # letters left for the family, where they will be found
    (crisis_language.GOODBYE, "left the letters on the kitchen table for my wife and kids"),
    (crisis_language.GOODBYE, "sealed the letter and put it in the glovebox so she will find it"),
    # keepsakes marked with who gets them
    (crisis_language.GOODBYE, "my tags and my ring are in a box with my daughters name on it"),
    (crisis_language.GOODBYE, "packed up my stuff for the people who should get it"),
    # everything given away
    (crisis_language.GOODBYE, "gave everything away. dont need any of it where im going"),
    # up on a ledge or a railing
    (crisis_language.OTHER_MEANS, "climbed up on the railing of the overpass last night"),
    # water as a means, with a strong cue
    (crisis_language.OTHER_MEANS, "the river is right there and nobody would see me go in"),
    # street drugs taken to die
    (crisis_language.OVERDOSE, "copped some fetty and i dont care if i wake up"),
    # survivor guilt as a death wish
    (crisis_language.SURVIVOR_GUILT, "my brothers died over there, i dont deserve to be breathing"),
    (crisis_language.SURVIVOR_GUILT, "survivor guilt is eating me, i think its my turn to go"),
    (crisis_language.SURVIVOR_GUILT, "he took a round meant for me. time to pay it back"),
    # a payout worth more than the member
    (crisis_language.BURDEN, "my wife would be set for life with the sgli"),
    # death welcomed as a wish
    (crisis_language.WISH_TO_DIE, "honestly wouldnt be upset if the tumor wins"),
    # second pass: who gets which possession, a tag saying whose
    (crisis_language.GOODBYE, "figured out who gets my rifles and the truck"),
    (crisis_language.GOODBYE, "put a tag on every box saying who its for"),
    (crisis_language.GOODBYE, "if somebody finds this later, tell my mom i tried"),
    # the pain ending on a day; everyone given a rest for good
    (crisis_language.SUICIDAL, "the hurt ends sunday"),
    (crisis_language.BURDEN, "my family will finally get a break from me for good"),
    (crisis_language.OTHER_MEANS, "my plan is the bridge after work on friday"),
    # a road named is no benign frame for a bridge ("the bridge on route 12")
    (crisis_language.OTHER_MEANS, "the overpass on route 9 has a low rail and i keep going back"),
    (crisis_language.SURVIVOR_GUILT, "after what happened to my squad i dont deserve to grow old"),
    (crisis_language.SURVIVOR_GUILT, "my fallen sgt keeps telling me its time to come home"),
    (crisis_language.SURVIVOR_GUILT, "not fair i made it home. i cant keep living with it"),
]


@pytest.mark.parametrize(("category", "note"), H11C_FAMILIES)
def test_the_h11c_families_are_caught_by_the_lexicon(category: str, note: str) -> None:
    found = assess(note, use_model=False)
    assert found.crisis, note
    assert category in {match.category for match in found.matches}, (note, found.phrases)


H11C_LOOK_ALIKES = [
    "read my grandpas old letters to my grandma, found them in the desk drawer",
    "finished the letters for the grandkids christmas cards",
    "my letter to the judge is finished, hope it helps my case",
    "labeled the boxes for the movers",
    "gonna give away my old camping gear since the move",
    "the lake was empty, nobody would be out there on a tuesday",
    "took the boat out on the river tonight, caught three bass",
    "my buddy got shot up in the leg in 2010 and walks fine now",
    "the speaker at na tonight talked about fentanyl",
    "my dads life insurance finally came through, we are ok now",
    "my guys didnt make it to the cookout, ready for next time",
    "my best friend died in afghanistan, i visit his family every year",
    "last time ill forget my id at the gate lol",
    "we decided who gets the truck on weekends, me or my wife",
    "my plan is the bridge route to skip traffic",
    "my grandpa told me its okay to come home anytime",
    "the pain stops friday after my surgery hopefully",
]


@pytest.mark.parametrize("note", H11C_LOOK_ALIKES)
def test_the_h11c_families_spare_their_look_alikes(note: str) -> None:
    found = assess(note, use_model=False)
    assert not found.crisis, (note, found.phrases)


H11C_TOLD_AS_OVER_OR_ABOUT_OTHERS = [
    "three winters ago i had a rope in the shed. doing good now, i coach my sons team",
    "holding my cousins rifles for him till he gets through this rough patch",
    "a decade ago i wanted to die. look how far ive come",
    "my first year out i sat with the rifle every night. now i coach wrestling",
    "a buddy said he had pills saved up, we flushed them together",
    "my sister said she was going to end it so i walked her to the chaplains office",
]


@pytest.mark.parametrize("note", H11C_TOLD_AS_OVER_OR_ABOUT_OTHERS)
def test_the_h11c_frames_set_the_note_aside(note: str) -> None:
    found = assess(note)
    assert not found.crisis, (note, found.phrases)
    assert found.set_aside


# ----- h11d families (bench/data/crisis_h11d.jsonl): wording not in any data file -----

H11D_FAMILIES = [
    # not waking: bedtime hoped to be the end, the morning a disappointment
    (crisis_language.WISH_TO_DIE, "praying i dont open my eyes again"),
    (crisis_language.WISH_TO_DIE, "asked god to not let me see another day"),
    (crisis_language.WISH_TO_DIE, "kinda disappointed im still alive every morning"),
    (crisis_language.WISH_TO_DIE, "woke up alive. wasnt meant to"),
    (crisis_language.WISH_TO_DIE, "dont even want the morning to come"),
    (crisis_language.WISH_TO_DIE, "if i didnt make it through the night id be at peace"),
    (crisis_language.WISH_TO_DIE, "falling asleep for good is all i want"),
    (crisis_language.WISH_TO_DIE, "i really hope tonight is my last night"),
    (crisis_language.WISH_TO_DIE, "i dont wanna wake up anymore"),
    (crisis_language.WISH_TO_DIE, "every night i hope its my last"),
    (crisis_language.WISH_TO_DIE, "if i go in my sleep so be it"),
    (crisis_language.WISH_TO_DIE, "it wouldnt be so bad if my heart stopped"),
    (crisis_language.WISH_TO_DIE, "thinking a lot about not being around lately"),
    (crisis_language.WISH_TO_DIE, "never waking up would solve most of it"),
    # a passive wish: bad news hoped for, death let in
    (crisis_language.WISH_TO_DIE, "hoping the biopsy comes back as cancer honestly"),
    (crisis_language.WISH_TO_DIE, "praying the lord takes me soon"),
    (crisis_language.WISH_TO_DIE, "the tumor is back and im going to let it take me"),
    (crisis_language.WISH_TO_DIE, "keep hoping i get hit by a truck on my walk"),
    (crisis_language.WISH_TO_DIE, "if i dropped dead tonight honestly i would be fine with it"),
    # a relapse with danger in it
    (crisis_language.SUICIDAL, "drinking again and whatever happens happens"),
    (crisis_language.SUICIDAL, "fell off the wagon. better off dead at this point"),
    (crisis_language.OTHER_MEANS, "was flying down the interstate aiming for a concrete barrier"),
    (crisis_language.SELF_HARM, "grabbed a fifth and some razor blades at the gas station"),
    # harm to someone else said as a fact
    (crisis_language.HARM_TO_OTHERS, "whoever touches my truck again is going home in a body bag"),
    (crisis_language.HARM_TO_OTHERS, "hes lucky i didnt put him in the ground"),
    (crisis_language.HARM_TO_OTHERS, "im gonna watch that man suffer"),
    (crisis_language.HARM_TO_OTHERS, "gonna wait for my ex outside her job and settle this"),
    (crisis_language.HARM_TO_OTHERS, "if he shows up again someone is getting shot i swear"),
    (crisis_language.HARM_TO_OTHERS, "cant stop thinking about payback on the guy who jumped me"),
]


@pytest.mark.parametrize(("category", "note"), H11D_FAMILIES)
def test_the_h11d_families_are_caught_by_the_lexicon(category: str, note: str) -> None:
    found = assess(note, use_model=False)
    assert found.crisis, note
    assert category in {match.category for match in found.matches}, (note, found.phrases)


H11D_LOOK_ALIKES = [
    "hope i dont wake up the baby when i get home late",
    "praying i dont wake up hungover after the wedding",
    "hope i dont wake up till noon on sunday",
    "hope nothing happens to me on the drive up north",
    "drove around looking for a tree to cut for christmas",
    "bought a 12 pack and a box cutter for unpacking the move",
    "somebody is gonna get hurt if you leave that ladder on the stairs",
    "relapsed last night, called my sponsor and im going to a meeting",
    "slipped up on my diet, whatever happens happens with the scale",
    "i hope today is the last day of this heat wave",
    "disappointed i was still awake at 3am watching tv",
    "i hope its my last shift on nights",
    "thinking about not being here for thanksgiving this year",
    "plotting revenge in madden after last weeks loss",
]


@pytest.mark.parametrize("note", H11D_LOOK_ALIKES)
def test_the_h11d_families_spare_their_look_alikes(note: str) -> None:
    found = assess(note, use_model=False)
    assert not found.crisis, (note, found.phrases)


H11D_TOLD_AS_OVER = [
    "after afghanistan i tried to shoot myself. my wife and the vet center pulled me through",
    "its been 400 days since i overdosed on purpose. it gets better",
    "my suicide attempt was in 2011. six years later i married my best friend",
    "my plan was the rope back in 2016. im a different man now, graduated the program",
    "4 years out from my attempt and i dont feel that way anymore",
]


@pytest.mark.parametrize("note", H11D_TOLD_AS_OVER)
def test_the_h11d_frames_set_the_note_aside(note: str) -> None:
    found = assess(note)
    assert not found.crisis, (note, found.phrases)
    assert found.set_aside
