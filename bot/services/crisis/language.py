"""Does a note a member wrote suggest they may be in crisis? (R18)

First a deterministic lexicon of word patterns that anyone can review; then, where no
pattern matched, a learned second stage (model.py: a linear model over word and
character n-grams, shipped as JSON weights and scored in plain Python). The verdict is
"lexicon OR model"; the lexicon works alone (`assess(note, use_model=False)`, or when the
model file cannot be read). A missed note is a bug to fix here, with a test and a line in
the corpus (bench/data/). Erring toward showing the crisis lines is the safe side:
a false alarm costs the member one kind message, a miss can cost a life.

How a note is read:
1. Normalised: accents, zero-width characters and apostrophes dropped, look-alike symbols
   between letters read as letters ("k!ll", "su1cide"), clause punctuation kept as "|".
2. Typos mended, token by token: a word of five letters or more that the lexicon does not
   know is matched against a short list of key words (one edit for up to seven letters,
   two for longer; same first letter); three- and four-letter words only by a swap of two
   neighbouring letters ("lfie", "wnat"). Short words that are easy to mistype ("kil",
   "ded") are spelt out in the patterns themselves.
3. Matched against the patterns below, grouped by category, lethal means first (firearms
   are the method in most veteran suicides). Harm to someone else counts as a crisis too.
4. A match is set aside when a negation scopes over it: "not", "never", "no longer",
   "used to" ... within a few words before it, in the same clause, and not behind another
   subject ("I don't know why I want to die" is not negated). Patterns that carry their own
   negation ("I don't want to be alive", "no reason to live") are never set aside that way.
   Known harmless uses ("suicide prevention training", "lost a buddy to suicide") are set
   aside too, and so is a whole note that tells a crisis as past and resolved ("back in
   2019 I was suicidal every day; haven't felt that way in years") or tells of helping
   someone else ("my buddy said he wanted to die, sat with him till morning"), whether or
   not a pattern matched, unless it holds a present danger ("it's back and the gun is in
   the truck") or the writer's own crisis ("my buddy shot himself, I should go too").
5. Where nothing matched, the learned stage scores the normalised note. A note whose match
   was set aside (negated, harmless, past) is not given to it: the lexicon's calm reading
   is trusted there. A note that a negation word makes calmer in the model's eyes ("I hope
   I don't die": without "don't" it scores higher) needs the model's higher veto threshold;
   a negation that is part of the crisis ("I don't want to wake up") does not.
"""

# One pattern a line reads and reviews best, however long the line.
# ruff: noqa: E501

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from bot.services.crisis import model as crisis_model
from bot.services.crisis import screen

FIREARM = "firearm"
OTHER_MEANS = "other_means"
OVERDOSE = "overdose"
HARM_TO_OTHERS = "harm_to_others"
SUICIDAL = "suicidal"
GOODBYE = "goodbye"
SELF_HARM = "self_harm"
WISH_TO_DIE = "wish_to_die"
SURVIVOR_GUILT = "survivor_guilt"
BURDEN = "burden"
HOPELESSNESS = "hopelessness"
# Flagged by the learned stage (model.py) where no pattern matched.
LEARNED = "learned"

# Most urgent first: a caller showing one category shows the first that fired.
CATEGORIES: tuple[str, ...] = (
    FIREARM,
    OTHER_MEANS,
    OVERDOSE,
    HARM_TO_OTHERS,
    SUICIDAL,
    GOODBYE,
    SELF_HARM,
    WISH_TO_DIE,
    SURVIVOR_GUILT,
    BURDEN,
    HOPELESSNESS,
    LEARNED,
)
# "urgent": a method, a plan in motion or someone else at risk; "high": thoughts of dying
# or of self-harm; "elevated": warning signs that go with them.
SEVERITY: dict[str, str] = {
    FIREARM: "urgent",
    OTHER_MEANS: "urgent",
    OVERDOSE: "urgent",
    HARM_TO_OTHERS: "urgent",
    SUICIDAL: "high",
    GOODBYE: "high",
    SELF_HARM: "high",
    WISH_TO_DIE: "high",
    SURVIVOR_GUILT: "high",
    BURDEN: "elevated",
    HOPELESSNESS: "elevated",
    LEARNED: "elevated",
}


@dataclass(frozen=True)
class Match:
    category: str
    phrase: str  # the normalised words that fired, for review

    @property
    def severity(self) -> str:
        return SEVERITY[self.category]


@dataclass(frozen=True)
class Assessment:
    crisis: bool
    phrases: tuple[str, ...]
    matches: tuple[Match, ...] = ()
    # A pattern matched but was set aside as negated or harmless ("I'm not suicidal").
    set_aside: bool = False
    # The learned stage's score (0 to 1), where it ran: only when no pattern matched.
    model_score: float | None = None
    # A co-occurrence rule's term and cue both appeared, in a benign frame ("won't be
    # around next week, going to my mom's"): the model's higher veto threshold applies.
    framed: bool = False

    @property
    def categories(self) -> tuple[str, ...]:
        """The categories that fired, most urgent first."""
        fired = {match.category for match in self.matches}
        return tuple(category for category in CATEGORIES if category in fired)


# ----- building blocks of the patterns -----


def _gap(words: int) -> str:
    """Up to `words` words of any kind, within one clause."""
    return rf"(?:[a-z0-9]+ ){{0,{words}}}"


_ME = r"(?:my ?self|meself|myslf|mysef)"
_KILL = r"(?:kill+|kills|killing|killed|killin|kil|kll)"
_WANT = r"(?:want|wants|wanted|wanting|wanna|wana|need|needing)"
_GUN = (
    r"(?:guns?|pistols?|handguns?|rifles?|shotguns?|revolver|glock|sidearm|weapon|"
    r"service (?:weapon|pistol|rifle)|9mm|45|38|357|1911|ar ?15|ar|m4|carbine|barrel|muzzle)"
)
_HEAD = r"(?:head|brains?|skull|temple|temples|forehead|mouth|chin|jaw|throat|heart|chest|face)"
_PILLS = (
    r"(?:pills?|pils?|meds|medications?|medicine|tablets|prescriptions?|scripts?|oxys?|"
    r"oxycodone|oxycontin|percs?|percocet|vicodin|norco|tramadol|xanax|xannies|klonopin|"
    r"valium|ambien|seroquel|trazodone|sleeping pills|sleep meds|pain pills|pain meds|"
    r"opioids|fentanyl|tylenol|insulin|lithium|benzos|morphine|hydrocodone|dilaudid|methadone|"
    r"gabapentin|lyrica|ativan|zoloft|sertraline|prozac|wellbutrin|antidepressants|painkillers|"
    r"pain killers|sleeping meds|sleepers|muscle relaxers|flexeril|"
    r"acetaminophen|blood thinners|heart meds)"
)
_PEOPLE = (
    r"(?:him|her|them|you|some(?:one|body)|any(?:one|body)|every(?:one|body)|people|"
    r"the people|whoever(?: did this)?|anyone who|the guy who|all of them|them all|those (?:people|guys|bastards)|"
    r"(?:that|this|the) (?:guy|man|woman|dude|bitch|bastard|asshole|prick|judge|landlord|"
    r"boss|cop|cops)|the (?:whole )?(?:office|place|crew|shift)|"
    r"my (?:new |old |former |stupid |damn )?(?:ex|ex wife|ex husband|exs (?:new )?(?:boyfriend|girlfriend|husband|wife)|wife|husband|boss|"
    r"neighbou?r|landlord|sergeant|supervisor|girlfriend|boyfriend|brother|sister|dad|father|"
    r"mom|mother|kids?|son|daughter|family|coworker|roommate|po|probation officer|lawyer))"
)
# Means a member may dwell on ("I keep looking at my gun"); pills are left out, being
# everyday talk ("been thinking about my meds").
_MEANS = rf"(?:loaded )?(?:{_GUN}|bullets?|trigger|rope|noose|bridge|train|tracks|train tracks|ledge|rafters|knife|blade|razor|overpass|cliff)"
# Words after "wake up", "be here" ... that make them about dying rather than the alarm clock.
_FOR_GOOD = (
    r"(?= \||$| tomorrow| again| anymore| any more| any longer| ever| at all| on this earth)"
)
_CLAUSE_END = r"(?= \||$)"
# A day or time soon: "by friday", "after tonight".
_WHEN = (
    r"(?:friday|saturday|sunday|monday|tuesday|wednesday|thursday|the weekend|this weekend|"
    r"tomorrow|tonight|morning|christmas|next week|the end of the (?:week|month))"
)
# A hurt that is an accident waiting to happen, not a threat ("someone is gonna get hurt if you
# leave that ladder on the stairs").
_HAZARD = r"(?!.*(?:ladder|stairs|ice|icy|roads|wet floor|slippery|careful|toys|rake|tools|helmet|seatbelt|seat belt|driving like|drives like|fireworks|trampoline|lawn ?mower|power tools))"
# Up to three words, none a negation ("I hope I don't die" is not a wish to die).
_PLAIN_GAP = r"(?:(?!(?:not|dont|never|no|wont|cant|didnt|doesnt|wouldnt|nobody)(?![a-z0-9]))[a-z0-9]+ ){0,3}"
# First person, then a wish or an intent: "I just want to", "I've been thinking about".
_I_INTEND = (
    r"(?:i|im|ill|id|ive|i am|i will|i would)(?: just| really| honestly| still| kinda| sometimes| seriously| been| keep| kept)*"
    r" (?:want|wanna|wana|wanted|wanting|going|gonna|plan|planning|planned|ready|tried|trying|try|thinking|thought|think|tempted|decided|hope|hoping|pray|praying|wish|wishing|about|might|could|need|needing)"
)
# Acts that, after such an intent, are about dying whatever words come between.
_DYING_ACT = (
    rf"(?:die(?! (?:laughing|of (?:boredom|embarrassment|laughter|old age)|down|off|out|hard|my|the|it|lol|haha|lmao))|"
    rf"hang(?:ing)?{_CLAUSE_END}|hang {_ME}|noose|pull the trigger(?! on)|overdose|od{_CLAUSE_END}|drown|bleed out|"
    rf"unalive|off {_ME}|kill {_ME}|shoot {_ME}|throw {_ME}|not wake up|never wake up|not be here anymore|be gone forever|"
    rf"jump (?:off|from|in front)|end it(?! with| on)|end my life)"
)


@dataclass(frozen=True)
class _Pattern:
    category: str
    regex: re.Pattern[str]
    negatable: bool
    # A looser pattern that counts only where no other pattern matched.
    fallback: bool = False


def _p(category: str, body: str, *, negatable: bool = True, fallback: bool = False) -> _Pattern:
    # Whole words only: a match starts and ends at a space or at the ends of the note.
    return _Pattern(category, re.compile(rf"(?<![^ ]){body}(?![^ ])"), negatable, fallback)


PATTERNS: tuple[_Pattern, ...] = (
    # --- firearms ---
    _p(FIREARM, rf"(?:eat|eating|eats|ate|eaten|suck|sucking) (?:my|a|the|his) (?:own )?(?:{_GUN}|bullet|round|lead)"),
    _p(FIREARM, rf"(?:{_GUN}|round|bullet|slug|shell|trigger) {_gap(3)}(?:in|into|through|to|against|under|on) (?:my|me) (?:own )?{_HEAD}"),
    _p(FIREARM, r"(?:blow|blowing|blew) (?:my|me) (?:own )?(?:brains|head|skull) (?:out|off)"),
    _p(FIREARM, rf"(?:shoot|shooting|shot|shoots) {_ME}(?! in the (?:foot|leg))"),
    _p(FIREARM, rf"(?:sat|sit|sitting|sits|stayed|staring|stared|stare) {_gap(3)}(?:with|at) (?:my|the|a|his|dads) loaded {_GUN}"),
    _p(FIREARM, rf"(?:sat|sit|sitting|sits|stayed|staring|stared|stare) (?:up )?(?:there )?(?:with|at) (?:my|the|a|his|dads) {_GUN}(?:{_CLAUSE_END}| again| tonight| for (?:an hour|hours|a long time|a while)| all night| in my lap| and (?:thought|cried|stared))"),
    _p(FIREARM, rf"{_GUN} {_gap(5)}(?:and )?(?:sat|sit|sitting) with it"),
    _p(FIREARM, rf"{_GUN} {_gap(1)}(?:in|on) my lap"),
    _p(FIREARM, rf"{_GUN} {_gap(5)}(?:and )?(?:stare|staring|stared) at it"),
    _p(FIREARM, rf"(?:loaded|cocked|chambered|racked) (?:my |the |a |his |dads |it )?{_GUN} {_gap(2)}(?:and|then) {_gap(1)}(?:sat|sit|held|hold|stared|stare|thought|waited|cried)"),
    _p(FIREARM, rf"(?:loaded|put|chambered) (?:one|a|1) (?:round |bullet |shell )?{_gap(3)}(?:and|then) (?:just )?(?:sat|thought|held|stared|waited|cried)"),
    _p(FIREARM, r"(?:one|a single|1) bullet (?:and|is all|would|will|to end)"),
    _p(FIREARM, r"(?:think|thinking|thought|thoughts) (?:about|of) (?:pulling|pull) the trigger(?! on (?:a|an|the|that|this|my))"),
    _p(FIREARM, rf"(?:pointed|pointing|aimed|aiming|point|aim) (?:it|the {_GUN}|my {_GUN}|{_GUN}) at (?:me|{_ME}|my {_HEAD})"),
    _p(FIREARM, rf"(?:use|using|used|turn|turning|turned) (?:my |the |a |his |dads )?{_GUN} {_gap(1)}on {_ME}"),
    _p(FIREARM, rf"(?:would be|it be|so) (?:so )?easy(?: \|)? {_gap(3)}{_GUN}"),
    _p(FIREARM, rf"(?:relief|peace|answer|way out|only option|only way|escape|calling me|calls to me) {_gap(6)}(?:{_GUN}|barrel)"),
    _p(FIREARM, rf"{_GUN} {_gap(2)}(?:is|would be|feels like|sounds like|looks like) (?:the |my )?(?:only )?(?:relief|peace|answer|way out|option|escape)"),
    _p(FIREARM, rf"(?:keep|kept|been|cant stop|always|all i do is) (?:thinking about|looking at|staring at|holding|picturing|eyeing) (?:my|the|that) {_MEANS}(?:{_CLAUSE_END}| (?:a lot|again|all the time|too much|all day|all night|every day|constantly|and)| on my| in the| under| in my)"),
    _p(FIREARM, rf"thinking about (?:my|the|that) {_MEANS} {_gap(3)}(?:a lot|again|all the time|too much|all day|all night|every day|constantly)"),
    _p(FIREARM, rf"{_MEANS} {_gap(4)}(?:is |s )?(?:always |all )?(?:on my mind|all i (?:can )?think about)"),
    _p(FIREARM, rf"all i (?:can )?think about is (?:my|the|that) {_MEANS}"),
    _p(FIREARM, rf"{_GUN} {_gap(6)}(?:held|holding|hold) it (?:for|and|to|against|up)"),
    _p(FIREARM, rf"{_GUN} {_gap(3)}(?:and )?what it would take"),
    _p(FIREARM, rf"(?:sat|sit|sitting) {_gap(4)}with (?:my|the|a) {_GUN} (?:and )?(?:cried|crying|thought about it|stared|prayed)"),
    _p(FIREARM, rf"{_GUN} {_gap(6)}in front of me"),
    _p(FIREARM, rf"{_GUN} in my (?:hand|hands|lap)(?: \|)? (?:just )?(?:sitting|sat) (?:here|there|in the dark)"),
    _p(FIREARM, rf"(?:going to|gonna|about to|will|ill|want to) (?:use|grab|get) (?:my|the) {_GUN}(?: tonight| now| on {_ME})"),
    _p(FIREARM, rf"(?:took|take|taking|got|get|getting) (?:my|the) {_GUN} out(?: of the (?:safe|case|closet|drawer))? (?:again|tonight)"),
    _p(FIREARM, r"(?:bullet|round|slug) (?:to|in|into|through) the (?:head|brain|temple|mouth)"),
    _p(FIREARM, r"(?:trigger|bullet|round|shot|pull|pills?|jump|step) and (?:its|it is|itll be|it will be|everything is|this is|it would be|its all) (?:all )?over"),
    _p(FIREARM, rf"(?:had|have|got|left|kept|keep|leave) (?:my|the|a) {_GUN} out {_gap(4)}(?:all night|all day|for hours|again|in front of me)"),
    _p(FIREARM, rf"need (?:it|the {_GUN}|my {_GUN}) for (?:me|{_ME})"),
    _p(FIREARM, rf"with (?:my|the|a) {_GUN}(?: \|)? (?:and )?i (?:dont|do not) (?:know what to do|trust {_ME})"),
    _p(FIREARM, rf"if (?:it|things|this) (?:gets?|get) (?:any )?worse {_gap(2)}(?:i have|ive got|theres|there is|i got) (?:my|the|a) {_GUN}"),
    _p(FIREARM, rf"(?:i (?:always |still )?have|ive (?:always |still )?got|theres always) (?:my|the) {_GUN} if (?:i|it|things)"),
    _p(FIREARM, r"(?:tried|try|trying|almost|nearly) (?:to )?pull(?:ed|ing)? the trigger(?! (?:smooth|slow|straight|on (?:a|an|the|that|my)))"),
    _p(FIREARM, rf"{_GUN} {_gap(6)}(?:keep|kept|been) (?:picking it up|holding it|touching it|looking at it|staring at it)"),
    _p(FIREARM, rf"{_GUN} (?:is|feels like|seems like) the only (?:thing that makes sense|way|answer|option|way out|thing left)"),
    _p(FIREARM, rf"(?:sat|sit|sitting) (?:alone )?in (?:the|my) (?:garage|dark|bedroom|bathroom|closet|basement|kitchen) with (?:my|the|a) (?:loaded )?{_GUN}"),
    _p(FIREARM, rf"(?:use|using|used|turn|turning) it on {_ME}"),
    _p(FIREARM, rf"(?:held|holding|hold|put|pressed|pointed) it (?:to|at|against|in|under) my {_HEAD}"),
    _p(FIREARM, rf"{_GUN} (?:is |s )?in my (?:hand|hands|lap|mouth)(?: right now| now| again)"),
    _p(FIREARM, rf"spent the night with (?:my|the|a) (?:loaded )?{_GUN}"),
    _p(FIREARM, rf"i know what (?:im going to|im gonna|i am going to|ill|i will|to) do with (?:it|the {_GUN}|my {_GUN})"),
    _p(FIREARM, rf"{_GUN} {_gap(5)}(?:\| )?(?:its|it is) loaded"),
    _p(FIREARM, r"not for (?:the )?(?:range|hunting|targets?|deer|practice|sport)", negatable=False),
    _p(FIREARM, rf"{_GUN} (?:is |s )?loaded {_gap(2)}(?:sitting next to me|next to me|in my (?:hand|lap)|on my (?:lap|chest))"),
    _p(FIREARM, rf"{_GUN} {_gap(3)}(?:and )?i know (?:why|what for)"),
    _p(FIREARM, rf"(?:took|take|taking|got|get|getting) (?:my |the |a |his |dads )?{_GUN} out {_gap(4)}(?:and )?(?:loaded|load) it"),
    _p(FIREARM, rf"(?:it|{_GUN}) (?:pointed|aimed) at (?:me|{_ME}|my {_HEAD})"),
    _p(FIREARM, rf"go(?:ing)? through with it(?: \|)? {_gap(4)}{_GUN}"),
    _p(FIREARM, rf"(?:bought|got|buying|picked up) (?:a |another |my )?(?:new )?{_GUN} {_gap(4)}(?:and )?(?:i )?(?:dont|do not|never) (?:even )?(?:hunt|shoot)"),
    # --- other lethal means: rope, heights, traffic, cars, blades, water, gas ---
    _p(OTHER_MEANS, rf"(?:hang|hanging|hung|hanged) {_ME}"),
    _p(OTHER_MEANS, rf"(?:bridge|overpass|ledge|roof|edge|cliff) {_gap(6)}(?:looking|staring|looked|stared) (?:down|over the edge|at the water)"),
    _p(OTHER_MEANS, r"(?:lay|laying|lie|lying) (?:down )?(?:on|across) (?:the )?(?:train )?(?:tracks|rails)"),
    _p(OTHER_MEANS, rf"(?:looking|staring|looked|stared) at (?:the|my|that) {_MEANS} {_gap(4)}again"),
    _p(OTHER_MEANS, r"(?:im|i am) (?:on|at) the (?:bridge|ledge|edge|roof|overpass)(?: right)? now"),
    _p(OTHER_MEANS, r"(?:im|i am) (?:on|at|by) the (?:train )?(?:tracks|rails)"),
    _p(OTHER_MEANS, r"hang (?:from|off) (?:the|a) (?:rafters|beam|tree|branch|ceiling|closet rod|rail)"),
    _p(OTHER_MEANS, r"(?:go|going|went) off (?:the|a|that) (?:[a-z0-9]+ ){0,2}(?:bridge|edge|cliff|overpass|ledge|roof|railing)"),
    _p(OTHER_MEANS, rf"(?:thinking about|think about|thought about|want to|wanna) (?:going|go) over(?:{_CLAUSE_END}| the (?:edge|side|railing))"),
    _p(OTHER_MEANS, r"(?:walk|walking|swim|swimming|wade|wading) (?:out )?(?:into|out into|out in|out to) the (?:ocean|sea|lake|river|water) (?:and )?(?:not|never) (?:come|coming) back"),
    _p(OTHER_MEANS, r"(?:want to|wanna|going to|gonna|thinking about|think about) (?:drive|driving|crash|steer|swerve) (?:my |the )?(?:car |truck )?(?:off|into) (?:the|a) (?:road|ditch|tree|wall|pole|bridge|river|lake)"),
    _p(OTHER_MEANS, rf"(?:drink|drinking) {_ME} to death"),
    _p(OTHER_MEANS, rf"(?:want to|wanna|let {_ME}|going to|gonna|just) bleed out"),
    _p(OTHER_MEANS, r"(?:keep|kept|been|cant stop) (?:thinking about|looking at|staring at) my (?:wrists?|throat|veins)"),
    _p(OTHER_MEANS, r"nooses?"),
    _p(OTHER_MEANS, rf"(?:rope|belt|cord|extension cord) {_gap(8)}(?:beam|rafters?|neck|ceiling|closet rod|tree|branch)"),
    _p(OTHER_MEANS, rf"(?:rafters|beam|beams|branch)(?: in the (?:garage|barn|basement|shed))? {_gap(3)}(?:thinking|thought) about (?:it|rope|hanging)"),
    _p(OTHER_MEANS, r"strong (?:branch|beam|rafter)"),
    _p(OTHER_MEANS, r"(?:thinking|thought|think) (?:about|of) (?:the )?rope(?! (?:swing|course|access|ladder|climb))"),
    _p(OTHER_MEANS, r"knot for (?:hanging|a noose)"),
    _p(OTHER_MEANS, r"(?:looked up|look up|looking up|googled|googling|searched|searching|researched|researching) (?:[a-z0-9]+ ){0,6}(?:die|dying|kill|killing|hang|hanging|lethal|fatal|painless|overdose|od|carbon monoxide|bleed out|suicide|where to aim)"),
    _p(OTHER_MEANS, r"(?:jump|jumping|jumped|leap|leaping|step|stepping|stepped) (?:off|from) (?:the|a|that|this|my|our) (?:top of the )?(?:[a-z0-9]+ ){0,2}(?:bridge|roof|building|overpass|cliffs?|balcony|ledge|parking garage|tower|edge)"),
    _p(OTHER_MEANS, r"(?:thinking|thought) (?:about|of) (?:stepping|jumping|jump|step) off"),
    _p(OTHER_MEANS, r"(?:almost|nearly|about to|going to|gonna|want to|wanna) (?:jump|jumped)(?! (?:in|into|out of my skin|on|at))"),
    _p(OTHER_MEANS, r"(?:stood|standing|stand|sat|sitting) (?:on|at) (?:the|a) (?:edge of the )?(?:bridge|ledge|edge|roof|railing)"),
    _p(OTHER_MEANS, rf"(?:step|stepping|stepped|walk|walking|walked|jump|jumping|throw {_ME}|lie down|lay down) (?:out )?(?:in front of|into|onto) (?:a |the )?(?:train|traffic|truck|semi|bus|car|tracks|highway|oncoming traffic)(?! court)"),
    _p(OTHER_MEANS, r"(?:run|running|ran|left|leave|sit|sat|sitting) (?:the|my) (?:car|truck|engine) (?:[a-z0-9]+ ){0,2}(?:in|inside) (?:the|a|my) (?:closed |shut )?garage"),
    _p(OTHER_MEANS, rf"(?:hose|tube) {_gap(4)}(?:exhaust|tailpipe)"),
    _p(OTHER_MEANS, rf"(?:closed|shut) garage {_gap(3)}running"),
    _p(OTHER_MEANS, r"(?:sat|sitting|sit) in (?:the|my) (?:car|truck) (?:[a-z0-9]+ ){0,2}in the (?:closed |shut )?garage"),
    _p(OTHER_MEANS, r"(?:drive|driving|drove|crash|crashing|crashed|wreck|wrecking|steer|steering|swerve|swerving) (?:(?:my|the|a) (?:car|truck|bike|motorcycle|jeep|vehicle) )?(?:into|off|in front of) (?:a |an |the |that |oncoming )?(?:[a-z0-9]+ )?(?:tree|wall|pole|semi|bridge|cliff|overpass|pillar|barrier|traffic|river|lake|embankment)"),
    _p(OTHER_MEANS, r"(?:crash|crashing|crashed|wreck|wrecking|wrecked|roll|rolling) (?:my|the) (?:car|truck|bike|motorcycle|jeep) on purpose"),
    _p(OTHER_MEANS, r"(?:make|making|made) it look like (?:an|a) (?:[a-z]+ )?accident", negatable=False),
    _p(OTHER_MEANS, r"(?:slit|slitting|slash|slashing|cut|cutting|open|opening) (?:my|both) (?:own )?(?:wrists?|throat|veins|arteries)"),
    _p(OTHER_MEANS, rf"(?:knife|blade|razor) {_gap(6)}(?:my )?(?:throat|wrists?|veins)"),
    _p(OTHER_MEANS, rf"(?:drown|drowning) {_ME}"),
    _p(OTHER_MEANS, r"head in the oven"),
    # --- pills taken or saved up ---
    _p(OVERDOSE, rf"(?:saving|saved|save|stockpiling|stockpiled|stockpile|hoarding|hoarded|hoard|collecting|stashing|stashed|stocking) (?:up )?(?:all |some of )?(?:my |the |his |her |these )?(?:old )?{_PILLS}"),
    _p(OVERDOSE, rf"(?:keeping|kept|keep|hiding|hid|hide|holding on to|holding onto|hanging on to|hanging onto|holding) (?:my |the |all my |some )?(?:old )?{_PILLS} {_gap(3)}(?:in case|for later|for when|for the day|for a bad day|hidden|in a shoebox|stashed)"),
    _p(OVERDOSE, rf"(?:skip|skipping|skipped|not taking|stopped taking) (?:my )?{_PILLS} {_gap(2)}(?:and )?(?:saving|save|keeping|stashing|hoarding)"),
    _p(OVERDOSE, r"(?:took|take|taking|swallowed|swallow|swallowing|downed|popped|ate|tok+) (?:the |a |my |her |his |an )?(?:whole|w?hole|entire|full) (?:bottle|box|pack|packet|strip|blister|month|script|supply|stash|prescription)"),
    _p(OVERDOSE, rf"(?:swallowed|swallow|took|downed|popped|ate) (?:the )?rest of (?:my|the|her|his|[a-z]+s) (?:[a-z]+ )?{_PILLS}"),
    _p(OVERDOSE, rf"(?:took|take|taking|swallowed|swallow|swallowing|downed|popped|ate) (?:like |about |over )?(?:a handful|handfuls|a bunch|a fistful|way too many|too many|[1-9][0-9]+|twenty|thirty|forty|fifty|everything)(?: of)?(?: (?:my|the|her|his|these|those|all))?(?: [a-z]+)? (?:{_PILLS}|in the (?:medicine )?cabinet)"),
    _p(OVERDOSE, rf"(?:took|take|taking|swallowed|swallow|swallowing|downed|popped|ate|mixing|mix|mixed) (?:all|every one|every last one) (?:of )?(?:my |the |her |his |these |those )?(?:[a-z]+ )?{_PILLS} {_gap(2)}(?:at once|at one time|in one go|together|tonight|now|with (?:whiskey|vodka|alcohol|booze|beer|liquor|wine|jack)|on purpose)"),
    _p(OVERDOSE, r"(?:i|im|ive|ill|id|gonna|going to|want to|wanna|might|could|about to|thinking about|think about|thought about|plan to|planning to|considering) (?:just )?(?:overdose|overdosing|overdosed|od|oding|odd)"),
    _p(OVERDOSE, rf"enough (?:{_PILLS} |oxy |of them |saved up )?{_gap(2)}to (?:not wake up|never wake up|end it|do it|die|kill me|kill {_ME}|be done|go to sleep forever|finish it)"),
    _p(OVERDOSE, rf"(?:counted|counting) (?:out )?(?:all )?(?:my|the|all my) {_PILLS}(?: \|)? {_gap(4)}(?:enough|for the day|for when|done)"),
    _p(OVERDOSE, r"(?:overdose|overdosing|overdosed|od) on purpose"),
    _p(OVERDOSE, rf"(?:took|swallowed|downed) all (?:of )?my {_PILLS} {_gap(1)}(?:an hour|hours|minutes|a few minutes|[0-9]+ minutes) ago"),
    _p(OVERDOSE, rf"(?:down|swallow|take|drink) (?:a|the|this|my) bottle of (?:my )?{_PILLS}"),
    _p(OVERDOSE, rf"(?:took|take|taking|swallowed) {_gap(6)}{_PILLS} {_gap(4)}on purpose"),
    _p(OVERDOSE, rf"(?:all )?(?:my |the )?{_PILLS} (?:are )?(?:all )?(?:lined up|counted out|laid out|set out)(?! in (?:the|my|a) (?:organizer|pill box|box|tray))"),
    _p(OVERDOSE, r"(?:going to|gonna|about to|want to|wanna|thinking of|thinking about|plan to) (?:take|taking|swallow|swallowing) (?:them all|all of them|all of it|it all|every (?:one|last one))(?! (?:to|with me|out|home|fishing|camping|for|along))"),
    _p(OVERDOSE, rf"(?:want to|wanna|going to|gonna|about to|thinking about|plan to|ready to) (?:take|taking|swallow|swallowing) all (?:of )?(?:my |the )?{_PILLS}(?! (?:with me|to|on|along|when|in the morning|like))"),
    _p(OVERDOSE, r"(?:take|taking|took|swallow|swallowing|swallowed) (?:them|it|those|these|the rest) (?:all )?(?:at once|in one go|at one time)"),
    _p(OVERDOSE, r"(?:took|take|taking|swallowed) (?:too much|too many|extra|more than i should)(?: [a-z]+){0,2} on purpose"),
    _p(OVERDOSE, rf"(?:putting|put|set|setting) aside (?:a |one |some |my |extra |a few )?{_PILLS}"),
    _p(OVERDOSE, rf"(?:take|taking|took|swallow|swallowing) everything (?:i have|i got|in the (?:house|cabinet|medicine cabinet))(?:{_CLAUSE_END}| tonight| at once| left)"),
    _p(OVERDOSE, rf"(?:mix|mixing|mixed|wash|washing|washed) (?:my |the |all my |all the )?{_PILLS} (?:down )?with (?:a |some |the )?(?:[a-z]+ )?(?:of )?(?:whiskey|vodka|alcohol|booze|beer|liquor|wine|jack|bourbon|rum|tequila)"),
    _p(OVERDOSE, rf"(?:took|take|taking|swallowed|downed) all (?:of )?(?:my )?[a-z]+s {_PILLS}"),
    _p(OVERDOSE, rf"(?:swallowed|swallow|swallowing|downed|downing|popped) all (?:of )?(?:my |the |her |his )?(?:[a-z]+ )?{_PILLS}"),
    _p(OVERDOSE, r"(?:take|taking|took|swallow|swallowing) every (?:last )?(?:pill|tablet)(?: in the (?:house|cabinet|bottle))?"),
    _p(OVERDOSE, rf"(?:whole|entire|full) bottle {_gap(6)}(?:take|taking|swallow|down) (?:it|them)"),
    # --- harm to someone else ---
    _p(HARM_TO_OTHERS, rf"(?:going to|gonna|goin to|will|ill|want to|wanna|wanted to|about to|could|might|swear ill|swear i will|thinking about|think about|thought about|scared ill|afraid ill|scared im going to|afraid im going to) (?:really )?(?:kill|killing|hurt|hurting|shoot|shooting|stab|stabbing|strangle|strangling|choke|choking|beat|beating|murder|murdering|punch|punching|attack|attacking|run over) {_PEOPLE}(?! (?:at|in) (?:chess|cards|pool|golf|poker|video games|a game|the game|basketball|arm wrestling|softball|darts))"),
    _p(HARM_TO_OTHERS, r"(?:want|wish|need) (?:him|her|them|that guy|my ex|those people|everyone) dead"),
    _p(HARM_TO_OTHERS, rf"(?:get|grab|getting|grabbing) (?:my|the|a) {_GUN} and (?:go|head|drive) (?:over )?(?:there|to (?:his|her|their|the))"),
    _p(HARM_TO_OTHERS, rf"snap and (?:hurt|kill|shoot|stab|beat|choke) {_PEOPLE}"),
    _p(HARM_TO_OTHERS, r"(?:make|making|made) (?:him|her|them|everyone|everybody|all of them|them all|every (?:one|last one|single one) of them|that (?:guy|bastard|bitch)|those (?:people|guys|bastards)) (?:all )?pay"),
    _p(HARM_TO_OTHERS, r"(?:theyll|they will|hell|he will|shell|she will|theyre going to|hes going to|shes going to|theyre gonna|hes gonna|shes gonna) (?:all )?(?:going to |gonna )?pay(?! (?:me|us|you|the|my|rent|back|cash|it|for (?:the|my|dinner|lunch|it)))"),
    _p(HARM_TO_OTHERS, r"(?:i know|found out|figured out) where (?:he|she|they) (?:lives?|sleeps|works)"),
    _p(HARM_TO_OTHERS, rf"(?:going|gonna|heading|drive|driving|go) (?:over )?(?:there|to (?:his|her|their) (?:house|place|work|job|apartment))(?: tonight| now| later)? with (?:my|a|the) {_GUN}"),
    _p(HARM_TO_OTHERS, rf"(?:taking|take|bringing|bring|took|brought) (?:my|a|the) (?:loaded )?{_GUN} (?:to|over to|into) (?:his|her|their|work|the office|my job|the job|school|court)"),
    _p(HARM_TO_OTHERS, r"shoot (?:up )?(?:the|this|that|my|his|her) (?:office|place|school|work|building|court|courthouse|station|plant|church|party)"),
    # --- thoughts of suicide, said outright or in slang ---
    _p(SUICIDAL, r"(?:check|checking|checked) out (?:for good|permanently|of life|early for good)"),
    _p(SUICIDAL, r"(?:punch|punching|punched) my (?:own )?ticket"),
    _p(SUICIDAL, rf"{_I_INTEND} {_PLAIN_GAP}{_DYING_ACT}", fallback=True),
    _p(SUICIDAL, rf"(?:scared|afraid|terrified) of what (?:i|ill|i will|i might|id) (?:do|might do)(?: with (?:my|the) {_GUN}| to {_ME}| tonight)?"),
    _p(SUICIDAL, rf"{_KILL} {_ME}(?! (?:laughing|working|at work|at the gym|over|to (?:get|make|finish|pay|keep)))"),
    _p(SUICIDAL, r"(?:suicide|sewerslide|sewer slide|sewer side)"),
    _p(SUICIDAL, r"suicidal"),
    _p(SUICIDAL, r"(?:end|ending|ended|ends|endin|take|taking|took|takin) (?:my|my own) (?:own )?life(?! (?:back|in|into|seriously|one day|day by))"),
    _p(SUICIDAL, r"(?:end|ending|ended|endin|finish|finishing) (?:it|everything|things)(?: al{1,2})?(?! (?:with|on|early|there|here|at|before|after|by|between|for (?:the|today|now|us)|off))"),
    _p(SUICIDAL, rf"(?:dont|cant|do not|cannot) trust {_ME} (?:right now|tonight|alone|anymore|with (?:a|my|the) (?:{_GUN}|{_PILLS}|knife|car|truck))", negatable=False),
    _p(SUICIDAL, rf"(?:have|got|made|making) a plan (?:to|for) (?:kill|end|die|do it|{_ME})"),
    _p(SUICIDAL, r"(?:unalive|unaliving|unalived|un alive|un aliving)"),
    _p(SUICIDAL, r"kms"),
    _p(SUICIDAL, rf"(?:self ?delet(?:e|ing|ion|ed)|delete {_ME}|deleting {_ME})"),
    _p(SUICIDAL, rf"(?:off|offing|offed|end|ending) {_ME}"),
    _p(SUICIDAL, r"catch(?:ing)? the (?:last )?bus (?:for good|permanently|out of here|out of this world|to the other side|for real)"),
    _p(SUICIDAL, r"(?:take|taking|took) (?:a|the) (?:permanent )?dirt ?nap"),
    _p(SUICIDAL, r"(?:take|taking|took) the (?:easy|cowards|quick) way out"),
    _p(SUICIDAL, r"how (?:quick|easy|fast|painless) it would be(?! to)"),
    _p(SUICIDAL, r"(?:want|wanna|ready|rather|wish i was|wish i were|belong|deserve) (?:to )?(?:be )?(?:six|6) (?:feet|ft|foot) under"),
    _p(SUICIDAL, r"(?:going to|gonna|might|want to|wanna|thinking about|about to) check out (?:early|for good|permanently)(?! (?:from|of|at|to|and))"),
    _p(SUICIDAL, r"(?:gonna|going to|want to|wanna|might|about to|ready to|thinking about) (?:just )?rope(?! (?:off|in|the|a|it|them|him|her|up))"),
    _p(SUICIDAL, r"(?:clock|clocking) out (?:permanently|forever|of life)"),
    _p(SUICIDAL, r"commit(?:ting)? sudoku"),
    _p(SUICIDAL, r"(?:me )?quiero morir(?:me)?"),
    _p(SUICIDAL, r"(?:me )?(?:quiero|voy a|quisiera) quitar(?:me)? la vida"),
    _p(SUICIDAL, r"(?:quisiera|quiero|ojala) (?:estar )?(?:muert[oa]|morir(?:me)?)"),
    _p(SUICIDAL, r"(?:ganas|deseos) de (?:morir(?:me)?|matarme|suicidarme|desaparecer)"),
    _p(SUICIDAL, r"(?:quiero|voy a|me voy a|pienso|pensando en|quisiera) (?:matar(?:me|lo|la|los)?|suicidarme|quitarme la vida|morirme|ahorcarme|acabar con (?:todo|mi vida|esto))"),
    _p(SUICIDAL, r"(?:suicidarme|suicidio)"),
    # --- goodbyes, letters, giving things away ---
    _p(GOODBYE, r"(?:wrote|write|writing|written|left|leave|leaving|finished|typed|typing) (?:a |my |the |some |out )?(?:goodbye|farewell|suicide|last|final) (?:letters?|notes?|messages?|video|email)"),
    _p(GOODBYE, r"(?:wrote|write|writing|written|left|leave|leaving) (?:a |some )?(?:letters?|notes?) (?:to|for) (?:each of |all )?(?:my (?:kids|children|son|daughter|wife|husband|family|mom|dad|parents|brother|sister|girls|boys)|everyone|each of you)(?! (?:every|while|when|from|during|back|overseas|in basic))"),
    _p(GOODBYE, r"(?:giving|gave|give|given|handing|handed) (?:away (?:all |most |some )?(?:of )?(?:my|his)|(?:all |most )?(?:of )?my (?:[a-z]+ ){1,2}away)"),
    _p(GOODBYE, r"(?:giving|gave|give|given|handed|handing) (?:all )?(?:of )?my (?:guns?|rifles?|pistols?|shotguns?|firearms|dogs?|cats?|medals|tools|belongings|possessions|things|stuff) (?:to|over)"),
    _p(GOODBYE, r"(?:wont|will not|not going to|wouldnt) (?:be )?need(?:ing)? (?:them|it|those|my [a-z]+|any of (?:it|this|them))(?:(?= \||$)| anymore| much longer| where im going)", negatable=False),
    _p(GOODBYE, r"(?:found|finding|find) (?:a )?(?:new |good )?homes? for (?:my|the) (?:dogs?|cats?|pets?|horse)"),
    _p(GOODBYE, r"(?:after|when|once) (?:im|i am|i m) (?:gone|dead|not here|not around|no longer here|no longer around)(?! (?:for|to|on|at|in|this|next|until|till))"),
    _p(GOODBYE, r"(?:this is|this will be|thisll be|consider this|heres|here is|this may be|this might be|probably) my (?:last|final)(?:(?: (?:check ?in|checkin|post|message|note|night|goodbye|words?|time|entry|update))(?! (?:before|until|till|for (?:a|the|this|now|awhile)|of the))|(?= \||$))"),
    _p(GOODBYE, r"(?<![^|] )(?:my )?(?:last|final) (?:check ?in|checkin|post|message)(?: ever| for good)?(?= \||$)"),
    _p(GOODBYE, r"(?:goodbye|farewell) (?:everyone|everybody|all|yall|you all|all of you|my friends|brothers|forever)"),
    _p(GOODBYE, r"(?<![^|] )(?:goodbye|farewell)(?: \|)?$"),
    _p(GOODBYE, r"to say (?:goodbye|my goodbyes|farewell)(?! (?:to (?:the|my old|our|that)|before (?:i|we|the) (?:move|moving|leave|ship|deploy|head)))"),
    _p(GOODBYE, r"(?:saying|said|say|making) (?:my )?(?:goodbyes|goodbye to everyone|goodbye to (?:my|the) (?:kids|family|wife|friends|guys))(?!.*(?:new job|moving|move to|retir|transfer|deploy|pcs|last day|graduat|vacation|trip))"),
    _p(GOODBYE, r"this is (?:goodbye|farewell|the end)(?! of)"),
    _p(GOODBYE, r"(?:put|putting|got|getting|get|have|had) (?:all )?my (?:affairs|things|stuff) in order(?! for)"),
    _p(GOODBYE, r"affairs in order"),
    _p(GOODBYE, rf"life insurance {_gap(6)}(?:kids|wife|family|they|she|he) (?:will|would|can|gets?|get)"),
    _p(GOODBYE, r"tell (?:my|him|her|them) (?:[a-z]+ )?(?:that )?i loved"),
    _p(GOODBYE, r"(?:my will is (?:done|written|signed|ready)|(?:the |my )?letters are written|wrote (?:out )?my will)"),
    _p(GOODBYE, r"(?:wrote|writing|write|made|making) (?:out |a list of |down )?who gets (?:what|my)"),
    _p(GOODBYE, r"(?:wont|will not|not going to) be (?:around|here) (?:much|for|very) (?:longer|long)", negatable=False),
    _p(GOODBYE, r"(?:last|final) time (?:youll|you will|anyone will|anyonell|yall will) (?:hear|see) (?:from )?me"),
    _p(GOODBYE, r"(?:wont|will not) be (?:at|in|around|here|coming to) (?:group|here|the group|meetings)?(?: anymore| again| after (?:today|this))(?! (?:because|since|cause|cuz|i graduated|i finished|im moving))", negatable=False),
    _p(GOODBYE, r"(?:hell|shell|theyll|he will|she will|they will) need (?:it|them) more"),
    _p(GOODBYE, r"(?:you|yall|you all|nobody|no one)(?:ll| will)? (?:wont|will not|never) (?:hear from|see) me again(?! (?:until|till|for|before|this|next|at))", negatable=False),
    _p(GOODBYE, r"this is it for me"),
    _p(GOODBYE, rf"(?:say|said|saying) (?:bye|goodbye) before (?:i go|im gone|i leave for good){_CLAUSE_END}"),
    _p(GOODBYE, rf"(?:wrote|written|finished|left) my (?:note|letter|letters){_CLAUSE_END}"),
    _p(GOODBYE, r"(?:left|leaving|put) my will (?:on|in|where)"),
    _p(GOODBYE, r"(?:the |my )?(?:note|notes|letters?) (?:is|are) written"),
    _p(GOODBYE, r"(?:leaving|leave|left) (?:all )?my (?:[a-z]+ )?(?:guns?|rifles?|medals|tools|truck|stuff|things|dog|cat|belongings) to (?:my|his|her)"),
    _p(GOODBYE, r"(?<![^|] )(?:please |just )?tell (?:my|him|her|them|everyone) (?:[a-z]+ )?(?:that )?(?:im sorry|i am sorry|i loved|i love (?:him|her|them|you))"),
    _p(GOODBYE, r"(?:see|saw|seeing|hug|hugged|hear|call|called|talk to|talked to|tell|told)(?: [a-z]+){0,5} (?:one last time|for the last time|one final time)"),
    _p(GOODBYE, r"(?:by the time|when) (?:you|anyone|someone|yall) (?:read|reads|see|sees) this(?!.*(?:airport|flight|plane|store|gym|surgery|drill|on the road|shift|on my way|meeting|call me|text me|let me know|get back to me|see (?:you|yall|ya) (?:next|soon|monday|tomorrow)))"),
    # --- self-harm ---
    _p(SELF_HARM, r"(?:carved|carving|carve|scratched|scratching) (?:into )?my (?:arms?|legs?|skin|wrists?|thighs?|chest|stomach)"),
    _p(SELF_HARM, rf"(?:hurt|hurting|hurts|harm|harming|harmed|injure|injuring|punish|punishing) {_ME}(?! (?:at|lifting|moving|playing|in the|on the|on my|during|doing|working|running|carrying|falling|while|when|pretty|bad|badly|skiing|hiking|with the|with a (?:saw|hammer|drill)))"),
    _p(SELF_HARM, r"self ?(?:harm|harming|harmed|injury|injure|injuring|mutilation|mutilate)"),
    _p(SELF_HARM, rf"(?:cut|cutting|cuts|slice|slicing|carve|carving) {_ME}(?! (?:shaving|on|with the|while|cooking|chopping|at work|opening|by accident|accidentally))"),
    _p(SELF_HARM, rf"(?:started|start|starting|been|back to|keep|kept|relapsed on|relapse on|urges? to|want to|wanting to|thinking about) (?:cutting|burning|scratching)(?: {_ME}| again| my (?:arms?|wrists?|legs?|thighs?|skin))?(?! (?:the|a|wood|grass|back|class|corners|weight|costs|down))"),
    _p(SELF_HARM, r"cutting (?:helps|is the only|makes me)"),
    _p(SELF_HARM, r"(?<![^|] )i (?:cut|burned|burnt) again"),
    _p(SELF_HARM, r"(?:cut|cutting|slashed|slashing) (?:my|both) (?:arms?|wrists?|legs?|thighs?|skin|stomach) (?:again|open|up|until|till|on purpose|last night|tonight)"),
    _p(SELF_HARM, rf"(?:burn|burning|burned|burnt|burns) (?:{_ME}|my (?:arms?|skin|wrists?|hands?|legs?)) (?:with (?:a|the) (?:cigarette|lighter|iron|match|matches)|on purpose|again|to feel)"),
    _p(SELF_HARM, r"(?:put|putting|puts) (?:a |my |the )?(?:cigarettes?|lighter|smokes?) out on my (?:arms?|skin|hands?|wrists?|legs?)"),
    _p(SELF_HARM, rf"(?:hit|hitting|punch|punching|punched|beat|beating|slap|slapping|smack|smacking|bang|banging|bash|bashing) {_ME}(?! up)"),
    _p(SELF_HARM, r"(?:hit|hitting|banged|banging|bang|slammed|slamming|smash|smashing) my head (?:against|on|into) (?:the|a) (?:wall|floor|door|mirror) (?:[a-z]+ ){0,2}(?:until|till|til) (?:it|i) (?:bled|bleed|bleeds|passed out|broke)"),
    _p(SELF_HARM, rf"(?:punch|punched|punching|hit|hitting) (?:the |a )?walls? {_gap(1)}(?:until|till|til) (?:my )?(?:hands?|knuckles|fists?|it) (?:bled|bleed|broke|were bleeding)"),
    _p(SELF_HARM, rf"(?:scratch|scratching|scratched|pick|picking|picked) (?:at )?(?:{_ME}|my (?:arms?|skin|legs?|wrists?)) (?:[a-z]+ ){{0,2}}(?:raw|until|till|til)"),
    _p(SELF_HARM, rf"(?:starve|starving|starved) {_ME}(?! (?:for|before))"),
    _p(SELF_HARM, r"(?:hacerme dano|cortarme|lastimarme)"),
    # --- wishing to be dead, not to wake up ---
    _p(WISH_TO_DIE, r"(?:fine|ok|okay|alright|at peace|good) with (?:dying|death|not waking up|never waking up|being dead|it all ending)"),
    _p(WISH_TO_DIE, r"(?:hopes?|hoping|praying|pray|wish|wishing) (?:[a-z]+ ){0,6}(?:takes|take|took|kills|kill|finishes) me(?! (?:to|out to|for|home|back|fishing|hunting|shopping|along|with))"),
    _p(WISH_TO_DIE, r"(?:go|going|went) to sleep and (?:never|not|dont) (?:come back|get up|wake)"),
    _p(WISH_TO_DIE, r"(?:stay|staying) asleep(?: forever| for good)?(?= \||$)"),
    _p(WISH_TO_DIE, r"dormir para siempre|no despertar(?:me)? nunca"),
    _p(WISH_TO_DIE, rf"{_WANT} (?:my )?life to (?:be over|end|stop)"),
    _p(WISH_TO_DIE, r"rather (?:just |honestly )?(?:be|been) dead"),
    _p(WISH_TO_DIE, r"(?:not|never|no longer) (?:scared|afraid) (?:of )?(?:dying|death|to die)", negatable=False),
    _p(WISH_TO_DIE, rf"{_WANT} (?:to )?(?:die|dy|dye|be dead|be ded|drop dead)(?! (?:laughing|of (?:boredom|embarrassment|laughter)|my|the|it|his|her|them|hair))"),
    _p(WISH_TO_DIE, r"(?:ready|deserve|deserves) to die"),
    _p(WISH_TO_DIE, r"(?:wish|wishing|hope|hopes|hoping|pray|praying|prayed) (?:[a-z]+ ){0,3}(?:that )?(?:i |id |i would |ill )?(?:dont|do not|wont|will not|wouldnt|would not|never|not|didnt) (?:wake|waking|make it(?! (?:late|to|in|on|back|home|there|out)))(?!(?: up)? (?:before|early|earlier|till|until|til|at [0-9]|the (?:baby|kids|house|neighbors|dog)|my (?:wife|husband|kids|roommate|son|daughter|girlfriend|boyfriend)|anyone|anybody|everyone|him|her|them|with a|too early|in the middle|hungover|sore|stiff|late))", negatable=False),
    _p(WISH_TO_DIE, r"(?:go|going|fall|falling) to sleep (?:and|n) (?:never|not|dont) (?:wake|waking)"),
    _p(WISH_TO_DIE, r"(?<!could )(?:sleep|go to sleep|going to sleep|fall asleep|falling asleep|fell asleep) (?:forever|for good|permanently)"),
    _p(WISH_TO_DIE, rf"(?:dont|do not|not|never) (?:want to|wanna|wana|wish to) wake up{_FOR_GOOD}", negatable=False),
    _p(WISH_TO_DIE, r"(?:wish|wished|wishing) (?:that )?(?:i|id)(?: had)? (?:was|were|been|be|had been|would be) (?:dead|ded|gone|never born|not born|not alive|not here)"),
    _p(WISH_TO_DIE, r"wish (?:i|id) (?:had )?never (?:been born|existed|came back|come back|came home|come home|made it (?:back|home|out)|survived|lived through|woke up)"),
    _p(WISH_TO_DIE, r"wish (?:i|id) (?:wasnt|werent) (?:alive|here|born|around)"),
    _p(WISH_TO_DIE, r"wish (?:i|id) (?:had )?died"),
    _p(WISH_TO_DIE, r"wish (?:i|id) (?:would|could) (?:just )?(?:die|not wake up|disappear|stop existing|be dead)"),
    _p(WISH_TO_DIE, rf"(?:wish i could|want to|wanna|just want to) (?:just )?(?:fade away|disappear|vanish|not exist|stop existing|not be here|be gone)(?:{_CLAUSE_END}| forever| for good| and never)"),
    _p(WISH_TO_DIE, r"(?:take|takes) me in my sleep"),
    _p(WISH_TO_DIE, r"(?:happy|glad|fine|ok|okay|relieved) if i (?:didnt|did not|never|dont|do not) wake up", negatable=False),
    _p(WISH_TO_DIE, r"better off (?:gone|not here|not around|in the ground)"),
    _p(WISH_TO_DIE, r"(?:sleep|go to sleep|fall asleep|close my eyes) (?:and|n) (?:never|not|dont|wont) (?:wake|waking|open)"),
    _p(WISH_TO_DIE, r"(?:stop|cease) existing"),
    _p(WISH_TO_DIE, rf"(?:{_WANT}|wish i could|like) to (?:not exist|not be alive|disappear forever|vanish forever|be gone forever|fall asleep forever)"),
    _p(WISH_TO_DIE, r"(?:rather|better off|sooner) (?:be )?(?:dead|ded|die)(?! than)"),
    _p(WISH_TO_DIE, r"rather (?:be )?(?:dead|die) than (?:keep going|keep living|live|go on|wake up|face|be here|be alive|do this)"),
    _p(WISH_TO_DIE, r"(?:wouldnt|would not) (?:mind|care) if (?:i|a truck|a car|a bus|something|someone|the cancer|it) (?:died|die|didnt wake up|never woke up|got hit|hit me|killed me|took me|ended)"),
    _p(WISH_TO_DIE, r"(?:wish|wishing) (?:it|everything|this|life) would (?:all )?(?:just )?(?:end|stop|be over)"),
    _p(WISH_TO_DIE, r"(?:hope|hoping|pray|praying)(?: that)? (?:the )?(?:cancer|tumor|disease|illness|surgery|heart attack|it) (?:takes|take|kills|kill|gets|get|finishes) me"),
    _p(WISH_TO_DIE, r"(?:dont|do not|didnt|no longer|not|never|cant|not sure (?:if |whether |that )?i|dont know if i|dont think i) (?:really |even |ever )?(?:want|wanna|wana|wish|care|need) (?:to )?(?:live(?! (?:in|at|with|near|by|there|here|together|on|close|next|alone))|be alive|stay alive|keep living|go on|exist|keep going|carry on|see tomorrow|be on this earth|be in this world)", negatable=False),
    _p(WISH_TO_DIE, rf"(?:dont|do not|no longer|not|never) (?:really |even )?(?:want|wanna|wana|wish) to be (?:here|around){_FOR_GOOD}", negatable=False),
    _p(WISH_TO_DIE, r"(?:dont|do not) care (?:if|whether) i (?:live|die|wake up|make it)", negatable=False),
    _p(WISH_TO_DIE, r"(?:ya )?no quiero (?:vivir|estar aqui|seguir|despertar|existir|seguir viviendo)", negatable=False),
    _p(WISH_TO_DIE, r"(?:ojala|quisiera|quiero) no (?:despertar|despertarme|amanecer)", negatable=False),
    _p(WISH_TO_DIE, r"ojala (?:estuviera|estuviese) muert[oa]"),
    _p(WISH_TO_DIE, r"ojala (?:no|nunca) hubiera nacido", negatable=False),
    # --- survivor guilt phrased as a death wish ---
    _p(SURVIVOR_GUILT, r"(?:should|shouldve|should ve|should of|shoulda|ought to) (?:have |of |ve )?(?:died|been killed|been me|been the one|gone instead|gone with (?:them|him|her)|been with them|come home in a box|stayed there)"),
    _p(SURVIVOR_GUILT, r"should be (?:in arlington|in the ground|dead|buried)"),
    _p(SURVIVOR_GUILT, r"why (?:am i|did i|do i|was i|should i|did god let me|do i get to|did i get to) (?:[a-z]+ ){0,2}(?:still )?(?:alive|here|survive|make it|come home|live)"),
    _p(SURVIVOR_GUILT, r"(?:dont|do not|didnt|did not|never) deserve to (?:be alive|live|be here|have survived|survive|have made it|make it|come home|breathe)", negatable=False),
    _p(SURVIVOR_GUILT, r"(?:survived|made it|came home|lived) (?:[a-z]+ ){0,4}(?:dont|do not|didnt) deserve (?:it|to)", negatable=False),
    _p(SURVIVOR_GUILT, r"(?:shouldnt|should not) (?:be alive|have made it|have survived|be here|have come home|have lived|be the one)", negatable=False),
    # --- feeling like a burden ---
    _p(BURDEN, r"better off (?:[a-z0-9]+ ){0,5}than (?:with )?me"),
    _p(BURDEN, r"if i (?:was|were|died|disappeared|wasnt here|went away)(?: gone| dead)? (?:[a-z]+ ){0,2}(?:nobody|no one) would (?:even )?(?:care|notice|miss me)", negatable=False),
    _p(BURDEN, r"(?:nobody|no one) would (?:even )?(?:care|notice|miss me) if i (?:was|were|died|disappeared|wasnt|went)", negatable=False),
    _p(BURDEN, r"(?:im|i am|feel like|feeling like|feel|just|being|been|such|nothing but|only) (?:a |such a |just a |nothing but a |the )?(?:burden|burdon|drain|dead weight|waste of (?:space|air|oxygen|life))(?! of proof)"),
    _p(BURDEN, r"(?:better off|happier|fine|relieved|easier|better|be ok|be okay|be happy) (?:[a-z]+ ){0,3}(?:without me|if i (?:just )?(?:wasnt|werent|was gone|were gone|was dead|were dead|died|disappeared|didnt exist|wasnt here|werent here|wasnt around|werent around|was not|were not|left for good))"),
    _p(BURDEN, r"(?:nobody|no one|noone|who) (?:would |will |is going to |gonna )?(?:even )?(?:notice|miss me|care|cares) (?:[a-z]+ ){0,3}(?:if|when) (?:i|im) (?:was |were |am )?(?:gone|dead|died|disappeared|not here|not around)"),
    _p(BURDEN, r"(?:nobody|no one|noone) (?:would|will|is going to|gonna) (?:even )?miss me"),
    _p(BURDEN, r"without me (?:they|she|he|everyone|everybody|my family|my kids|the world|yall|things)(?:d| would| will|ll)? (?:all )?(?:be )?(?:happy|happier|better|fine|better off|ok|okay)"),
    _p(BURDEN, r"better off without (?:their|her|his|a|the|our) (?:[a-z]+ ){0,3}(?:dad|father|mom|mother|husband|wife|son|brother)"),
    _p(BURDEN, rf"(?:would|will|and|shed|hed|theyd|theyll|youd) (?:all )?be (?:so much |way |a lot )?better off{_CLAUSE_END}"),
    _p(BURDEN, r"(?:im|i am|i keep|i just keep) (?:ruining|wrecking|destroying) (?:everyones|everybodys|my familys|my kids|my wifes|their|her|his) (?:life|lives)"),
    _p(BURDEN, r"(?:im|i am|i feel like im|feel like im) (?:just )?in (?:everyones|everybodys) way"),
    _p(BURDEN, rf"(?:im|i am|i feel|feel) (?:so |completely |totally |just )?(?:worthless|a waste)(?:{_CLAUSE_END}| to (?:everyone|anyone|my family))"),
    _p(BURDEN, r"(?:soy|me siento) (?:una|un) (?:carga|estorbo)"),
    _p(BURDEN, r"(?:estarian|estaria|estaran|seria|serian|vivirian) mejor sin mi"),
    # --- no future, no way out ---
    _p(HOPELESSNESS, r"(?:no|not any|isnt any|aint no|lost (?:my|all)|without (?:a|any)) (?:point|reason|reasons|purpose|use|sense)(?: left)? (?:in |to |for )?(?:living|live|going on|go on|keep going|keep living|being alive|be alive|being here|staying|stay|trying anymore|getting up|waking up|anything|any of (?:it|this)|it all|carrying on|existing|exist)", negatable=False),
    _p(HOPELESSNESS, r"(?:nothing|nobody|no one|none|not much|nothin)(?: left)? (?:to|worth) (?:live|living) for"),
    _p(HOPELESSNESS, r"what (?:do i|have i|is there) (?:[a-z]+ )?(?:have |got |left )?to live for"),
    _p(HOPELESSNESS, r"(?:cant|cannot|dont|do not|will never|never) (?:see|imagine|picture) (?:a |any |my |much of a )?(?:future|way forward|way out|tomorrow|next year|(?:things|it|life) (?:ever )?getting better)", negatable=False),
    _p(HOPELESSNESS, rf"(?:no|zero|lost all) (?:hope|future)(?: left)?(?: for me| at all| anymore)?{_CLAUSE_END}", negatable=False),
    _p(HOPELESSNESS, r"(?:no|aint no|without a) way out", negatable=False),
    _p(HOPELESSNESS, r"(?:there is|theres|i have|ive got|got|have) no (?:hope|future)(?: left)?", negatable=False),
    _p(HOPELESSNESS, r"(?:things|it|life|my life|nothing)(?: is| will| s| are|ll)? (?:never|not ever) (?:going to |gonna |ever going to )?(?:get|gets|be|going to be) (?:any )?better"),
    _p(HOPELESSNESS, r"(?:whats|what is) the (?:point|use) (?:of|in) (?:living|life|going on|being alive|anything|any of (?:it|this)|carrying on|waking up|(?:even )?trying(?= \||$| anymore))"),
    _p(HOPELESSNESS, r"(?:cant|cannot|can not|unable to|not able to) (?:go on(?! (?:the|a|my|this|that|vacation|leave|tuesday|monday|friday|saturday|sunday|wednesday|thursday|break|shift|patrol|with the))|keep going(?! (?:to|with|at|back|for))|keep living|keep doing this|do (?:this|it) anymore|do (?:this|it) any more|take (?:it|this|it all|this life) (?:anymore|any more|any longer)|take much more|live like this|carry on|handle (?:it|this|life) (?:anymore|any more))", negatable=False),
    _p(HOPELESSNESS, r"(?:tired|sick|exhausted) of (?:living|being alive|life|existing|fighting to (?:stay alive|live|keep going)|waking up|trying to stay alive|being here)"),
    _p(HOPELESSNESS, r"(?:done|finished|through) with (?:life|living|everything|it all|this life|this world|being alive)(?! (?:for (?!good|ever)|at|on))"),
    _p(HOPELESSNESS, r"(?:life|living|my life|this life)(?: is| s)? (?:not|isnt|aint|no longer|not even) worth (?:it|living|the pain|the fight|anything)"),
    _p(HOPELESSNESS, r"not worth (?:living|being alive|staying alive)"),
    _p(HOPELESSNESS, r"(?:given|give|giving|gave) up on (?:life|living|everything|myself|the future|getting better|ever getting better|me|being happy|feeling better|anything getting better)"),
    _p(HOPELESSNESS, r"(?:want|wanted|need|wish|make|ready for) (?:the |this |my )?(?:pain|hurt|suffering|it all|everything|it) (?:to )?(?:stop|end|be over) (?:for good|forever|permanently)"),
    _p(HOPELESSNESS, rf"(?:want|wanted|need|wish|ready for) (?:it all|everything|this|it|all of this|all of it|life) to (?:be over|end|stop)(?:{_CLAUSE_END}| for good| forever| already| now)"),
    _p(HOPELESSNESS, rf"nothing (?:matters|means anything|is worth it)(?:{_CLAUSE_END}| anymore| any more)"),
    _p(HOPELESSNESS, r"(?:nothing|no one|nobody) left for me"),
    _p(HOPELESSNESS, r"(?:im|i am) out of hope"),
    _p(HOPELESSNESS, r"(?:life|living|nothing|it all) (?:has|have) no (?:point|meaning|purpose)(?: anymore)?"),
    _p(HOPELESSNESS, rf"why (?:keep|even|bother) (?:going|living|trying|waking up|getting up)(?:{_CLAUSE_END}| anymore)"),
    _p(HOPELESSNESS, rf"(?:ive got|i have|got|theres) nothing left(?:{_CLAUSE_END}| for me| to (?:give|live for|lose))"),
    _p(HOPELESSNESS, rf"(?:just )?want out(?:{_CLAUSE_END}| of (?:this life|life|this world))"),
    _p(HOPELESSNESS, r"(?:im|i am|ill|i will) (?:never|not ever) (?:going to |gonna )?(?:get better|be ok|be okay|be happy|be normal|be fixed|recover)(?! (?:at|with|in|on))"),
    _p(HOPELESSNESS, rf"nothing (?:will|is going to|is ever going to) (?:ever )?(?:change|get better|be better|be different)(?:{_CLAUSE_END}| for me)"),
    _p(HOPELESSNESS, r"(?:dont|do not|cant|cannot) (?:see|have) (?:the|any|a) (?:point|reason) (?:in|of|to|for) (?:going on|go on|living|live|life|anything|any of (?:it|this)|trying|being alive|carrying on|keep going|stay|be here|waking up|getting up|wake up|get up)", negatable=False),
    _p(HOPELESSNESS, rf"(?:im|i am) (?:so )?(?:done|tired of|through) fighting(?:{_CLAUSE_END}| (?:it|this|for my life|to stay alive|to live))"),
    _p(HOPELESSNESS, r"(?:not going to|not gonna|wont|will not|dont think ill|dont think i will|dont think im going to|dont think im gonna) make it (?:through (?:this|the night|the week|the weekend|tonight)|much longer|to (?:tomorrow|the weekend|next week|christmas|morning)|another (?:day|week|year|night))", negatable=False),
    _p(HOPELESSNESS, r"(?:its|it is|this|it|the pain|this pain|the hell)(?: is)? never (?:going to|gonna|ever going to) (?:end|stop|get better|let up|go away)"),
    _p(HOPELESSNESS, r"(?:out of|no more|run out of|ran out of) reasons to (?:stay|live|keep going|go on|be here|try)", negatable=False),
    _p(HOPELESSNESS, rf"ya no (?:aguanto|puedo|soporto)(?: mas)?(?:{_CLAUSE_END}| mas| esta vida| vivir| la vida| nada)", negatable=False),
    _p(HOPELESSNESS, rf"no (?:lo )?(?:soporto|aguanto|puedo) mas{_CLAUSE_END}", negatable=False),
    _p(HOPELESSNESS, r"(?:la vida )?no vale la pena(?: vivir| seguir)?", negatable=False),
    # --- broadened families (issue 11): general shapes of the kinds of note the lexicon
    # generalised worst on, each a shape rather than one note's words ---
    # firearms: a gun kept "not for" its everyday use, a round kept for oneself
    _p(FIREARM, r"not for (?:intruders|burglars|protection|home defense|self defense|the house|break ins)", negatable=False),
    _p(FIREARM, rf"(?:keeping|kept|keep|saving|saved|save) (?:that one|one|the last one|a round|one round|a bullet|the {_GUN}|my {_GUN}) for {_ME}"),
    _p(FIREARM, r"for (?:hunting|the range|protection|target practice|deer season|cleaning)(?: \|)? (?:but )?(?:its not|it is not|it isnt|thats not|that is not|it aint)(?= \||$)"),
    # other means: water, knots, a beam picked out, a crash hoped for, the nerve to do it
    _p(OTHER_MEANS, r"(?:swim|swimming|walk|walking|wade|wading) (?:out )?(?:as far as i can|into the (?:ocean|sea|lake|river|water)|out into the (?:ocean|sea|lake|river|water))(?: [a-z0-9]+){0,5} (?:(?:not|never) (?:come|coming) (?:back|out)|stop swimming)"),
    _p(OTHER_MEANS, r"(?:looking|looked|look|reading|read) up (?:[a-z]+ )?(?:knots|how long it takes to (?:drown|bleed out|die|suffocate)|lethal doses?|where to aim)"),
    _p(OTHER_MEANS, r"(?:strong|sturdy|solid|good) (?:enough )?(?:branch|beam|rafter)(?! for (?:the|a|my) (?:deck|shed|porch|roof|swing|project))"),
    _p(OTHER_MEANS, r"(?:hoping|hope|hoped|wanting|want) (?:that )?(?:id|i would|i|it would|the truck would|the car would) (?:lose control|crash|wreck|flip|go off the road|hit (?:a|the) (?:tree|wall|pole|semi))"),
    _p(OTHER_MEANS, r"(?:get|got|getting|find|found|work up|working up) the (?:nerve|courage|guts) to (?:do it|drink it|take (?:them|it)|swallow|pull|jump|go through|end|step)"),
    _p(OTHER_MEANS, r"(?:drinking|drank|drink|drinks|swallowed|swallowing) (?:small amounts of |some |a little |a cup of )?(?:bleach|drain cleaner|antifreeze|rat poison|poison)"),
    _p(OTHER_MEANS, r"(?:voy a|quiero|pienso|pensando en) (?:tirarme|aventarme|lanzarme|ahogarme|colgarme)"),
    # pills: doses held back, everything in the cabinet
    _p(OVERDOSE, r"(?:holding|held|hold|keeping|kept) back (?:my |some of my |some )?(?:doses|pills|meds|medication|tablets)"),
    _p(OVERDOSE, r"(?:take|taking|took|swallow|swallowing|swallowed) everything in (?:my|the) (?:medicine )?cabinet"),
    # harm to others: urges and pictures of hurting someone, threats, violence done
    _p(HARM_TO_OTHERS, rf"(?:urges?|thoughts|thinking|fantasies|fantasizing|picturing|picture|dreams|dreaming|images) (?:about |of |to )?(?:killing|hurting|hurt|kill|shooting|shoot|stabbing|stab|choking|choke|strangling|beating|beat|running over|driving (?:my |the |a )?(?:truck|car) into) {_PEOPLE}"),
    _p(HARM_TO_OTHERS, r"(?:driving|drive|drove|plow|plowing|ram|ramming) (?:my |the |a )?(?:truck|car|jeep|van) into (?:the |a |that )?(?:crowd|people|parade|line|them|the office|his|her)"),
    _p(HARM_TO_OTHERS, r"put (?:him|her|them|that (?:guy|dude|bastard|man|woman)|my [a-z]+) in the (?:ground|grave|hospital|dirt)"),
    _p(HARM_TO_OTHERS, r"(?:take|taking|took) (?:everyone|everybody|them all|all of them|them|him|her|the whole [a-z]+) (?:[a-z]+ ){0,4}(?:with me|down with me)"),
    _p(HARM_TO_OTHERS, r"(?:burn|burning|torch|torching) (?:down )?(?:the|that|his|her|their|my exs) (?:[a-z]+ ){0,2}(?:house|place|clinic|office|building|car|truck|church|school)(?: down)? (?:with|while) (?:him|her|them|the [a-z]+|everyone|people)"),
    _p(HARM_TO_OTHERS, r"(?:shoot|shooting) up (?:my|the|that|his|her|our) (?:old )?(?:job|work|office|school|unit|base|plant|meeting|group|clinic|va)"),
    _p(HARM_TO_OTHERS, r"(?:make|making) (?:the|that|those|every|all|this) (?:[a-z]+ ){1,3}pay(?= \||$| for)"),
    _p(HARM_TO_OTHERS, r"(?:beat|choke|stab|hit|kick|punch|strangle) (?:him|her|them|[a-z]+ (?:husband|wife|boyfriend|girlfriend)|my [a-z]+|that [a-z]+) (?:[a-z]+ ){0,2}(?:till|until|til) (?:he|she|they) (?:stops? breathing|stop moving|dies|die|cant)"),
    _p(HARM_TO_OTHERS, r"(?:choked|strangled|beat up|punched|slapped|shoved|hit|hurt) my (?:wife|girlfriend|boyfriend|husband|partner|kids?|son|daughter|mom|dad|roommate)(?! (?:by accident|accidentally|with the door|with my elbow))"),
    _p(HARM_TO_OTHERS, r"(?:know|found out|figured out) where (?:he|she|they) (?:parks|lives?|sleeps|works|drinks|goes)"),
    _p(HARM_TO_OTHERS, r"(?:use|using|used) (?:it|that|them|the [a-z]+) on (?:him|her|them|that (?:guy|dude)|my [a-z]+)(?= \||$| tonight| when| if| next)"),
    _p(HARM_TO_OTHERS, r"(?:im|i am|ill|i will|gonna|going to|about to) (?:be )?(?:stabbing|shooting|killing|strangling|choking) (?:him|her|them|that)"),
    _p(HARM_TO_OTHERS, r"(?:nobody|no one) (?:walks|gets|leaves|makes it) out(?: (?:that door|of here|of this house|alive))?(?= \||$| alive| tonight)"),
    # coded and indirect: done, checking out, not around, over soon, a decision made
    _p(SUICIDAL, r"(?:checking|check|checked|clocking|clock|tapping|tap|logging|log|signing|sign) (?:out|off) (?:for good|permanently|early for good|for the last time|of life|of this life|forever)"),
    _p(SUICIDAL, r"(?:gonna|going to|about to|might|ready to|want to|wanna|thinking about|do|doing|did) (?:do )?(?:a |the |my )?self ?check ?out(?! (?:at|line|lane|machine|aisle))"),
    _p(SUICIDAL, rf"(?:sudoku|sudokuing|seppuku|alt f4|ctrl alt delete|control alt delete|yeet|yeeting) {_ME}"),
    _p(SUICIDAL, r"(?:lead|led) (?:vitamin|pill|poisoning|injection|sandwich|headache)"),
    _p(SUICIDAL, r"kys"),
    _p(SUICIDAL, r"(?:take|taking|took|want|wanna) (?:the |a )?(?:big|permanent|eternal|forever|final|endless) (?:sleep|nap|dirt nap|rest|vacation)|(?:take|taking|took|want|wanna) the long (?:sleep|dirt nap)"),
    _p(SUICIDAL, r"(?:permanent|forever|eternal) (?:nap|sleep|vacation|dirt nap)"),
    _p(SUICIDAL, r"(?:long )?walk off a short pier"),
    _p(SUICIDAL, r"game over (?:on|for) (?:my life|me|myself|this life)|no respawn"),
    _p(SUICIDAL, r"(?:become|becoming|be|join|joining|another one of) (?:one of )?(?:the )?22(?! (?:a day|per day|veterans a day|every day|a|per))"),
    _p(SUICIDAL, r"(?:become|becoming|be|end up) (?:just )?(?:another|a) (?:statistic|stat)(?! (?:class|homework|test))"),
    _p(SUICIDAL, r"(?:end|ending|ended) (?:my|this) watch"),
    _p(SUICIDAL, r"see (?:you|yall|ya|you all) on the other side(?= \||$)"),
    _p(SUICIDAL, r"(?:ready|want|time|going|about) to go home(?: \|)? (?:and )?(?:i )?(?:dont|do not) mean (?:my |the )?(?:house|home|back)", negatable=False),
    _p(SUICIDAL, rf"(?:might as well|may as well) (?:make it official|end it|die|be dead|kill {_ME}|finish (?:it|the job))"),
    _p(SUICIDAL, r"(?:wont|will not|aint) be (?:a problem|a burden|an issue|in (?:anyones|your|their|everyones) way) (?:for (?:anyone|anybody|you|yall|them|much) )?(?:much longer|for long|anymore|soon|after)", negatable=False),
    _p(SUICIDAL, r"(?:after|by) (?:tomorrow|tonight|this weekend|today|this week|friday|saturday|sunday) (?:[a-z]+ ){0,3}(?:wont have to worry|nothing will hurt|it wont hurt|no more pain|ill be gone|ill be free|it will be over|itll be over|wont (?:see|hear from) me)"),
    _p(SUICIDAL, r"(?:you|yall|nobody|no one|they|she|he|you all|anyone) (?:wont|will not|will never|wont ever|never) (?:have to|need to) (?:worry about|deal with|put up with|take care of|bail out|carry|babysit) me(?: \|)? (?:anymore|again|much longer|after)", negatable=False),
    _p(SUICIDAL, r"never have to (?:[a-z]+ ){0,3}again(?: \|)? (?:permanently|for good|ever)"),
    _p(SUICIDAL, r"(?:nothing|it) (?:will|is going to|gonna) (?:hurt|matter) (?:anymore|any more|soon)(?= \||$)"),
    _p(SUICIDAL, r"(?:standing|stand|stood|im) at the exit|(?:walk|walking) through (?:the|that) exit|(?:the )?only (?:exit|way out)(?: i (?:see|have|got))? (?:is|would be|left is) (?:dying|death|to die|suicide|ending it|the [a-z]+)"),
    _p(SUICIDAL, r"(?:made|make|making) (?:my )?peace with (?:it|dying|death|everything|leaving|going)(?: \|)? (?:[a-z]+ ){0,2}(?:squared away|in order|ready|done|set|time)"),
    _p(SUICIDAL, r"(?:ive|i have|i) made (?:my|the) decision (?:and )?(?:i )?(?:feel|am|im) (?:calm|at peace|peaceful|relieved|good) about it"),
    _p(SUICIDAL, r"(?:everything|it) (?:will|is going to|gonna) be (?:quiet|over|peaceful) soon(?: \|)? (?:i )?(?:made sure|promise|know)"),
    _p(SUICIDAL, r"(?:its|it is|everything is|all) (?:almost|nearly) over(?: \|)? (?:[a-z]+ ){0,2}(?:thanks|thank you|sorry|love|goodbye|bye|take care)"),
    _p(SUICIDAL, r"(?:im|i am) (?:next|going to be next|gonna be next)(?: \|)? (?:and )?(?:im |i am )?(?:ok|okay|fine|good|at peace|ready) with (?:that|it)"),
    # goodbye: signing off, good knowing you, possessions handed over, where the papers are
    _p(GOODBYE, r"(?:signing|sign|signed|logging|log) off (?:for good|for the last time|forever|permanently)"),
    _p(GOODBYE, r"(?:it was|its been|it has been) (?:good|nice|an honou?r|a pleasure|real) (?:knowing|serving with|meeting|having) (?:you|yall|all of you|everyone|you all|you guys)"),
    _p(GOODBYE, r"(?<![^|] )(?:please )?(?:dont|do not) (?:be sad|blame yourselves|blame yourself|cry for me|miss me|feel bad|feel guilty)(?= \||$)"),
    _p(GOODBYE, r"(?:kissed|kissing|kiss|hugged|hugging|hug) (?:her|him|them|my [a-z]+|everyone|the kids) goodbye(?! (?:at|before|and (?:left|got on|headed|drove)|for the (?:day|week|trip)))"),
    _p(GOODBYE, r"(?:said|saying|say) (?:my )?(?:bye|goodbye|goodbyes) to (?:my (?:sponsor|kids|wife|family|mom|dad|brother|sister|buddies|guys|son|daughter)|everyone|all of (?:you|them))(?! (?:at|before|after|for (?:the|now)|on the|and (?:got on|left for|headed)))"),
    _p(GOODBYE, r"(?:dropped|took|surrendered|brought|left) (?:off )?my (?:cat|dog|cats|dogs|pets?|horse) (?:off )?(?:at|to) the (?:shelter|pound)"),
    _p(GOODBYE, r"(?:gave|giving|give|handed|handing|left|leaving) (?:my|the) (?:buddy|brother|son|daughter|nephew|niece|neighbou?r|friend|sister|kid|kids|wife|cousin|sponsor) (?:my|all my) (?:[a-z]+ )?(?:guitar|watch|guns?|rifles?|pistols?|medals|tools|truck|ring|dog|cat|knives|collection|stuff|things|flag|coins)"),
    _p(GOODBYE, r"(?:since|because|cause|cuz) i (?:wont|will not|aint gonna|am not going to|wont ever) be (?:there|here|around)(?= \||$| for| anymore)", negatable=False),
    _p(GOODBYE, r"(?:the )?last (?:week|day|night|weekend|month|time) (?:anyone|anybody|you|youll|yall|everyone|you all)(?: has| have| will have| will)?(?: have)? (?:to )?(?:put up with|deal with|worry about|see|hear from) me"),
    _p(GOODBYE, r"(?:told|showed|tell|show|telling|showing) (?:my [a-z]+|her|him|them) where (?:the|my) (?:[a-z]+ )?(?:insurance|will|papers|paperwork|passwords|accounts|policy|deed|title|safe combination)"),
    _p(GOODBYE, r"(?:when|after|once) (?:im|i am) gone(?= \||$)", negatable=False),
    _p(GOODBYE, r"(?:escribi|deje|escribiendo) (?:las |unas |mis |una )?cartas? (?:para|a) (?:mis|mi)|(?:ultima|ultimo) (?:despedida|vez que me reporto|mensaje|carta)"),
    # self-harm other than cutting: burning, hitting, starving, on purpose, to feel it
    _p(SELF_HARM, r"(?:threw|throw|throwing|broke|break|breaking|punched|punching|slammed|slamming|hit|hitting|beat|beating|bashed|bashing|banged|banging|burned|burning|burnt|starved|starving|stopped taking|not taking|havent eaten|have not eaten|not eating|refusing|skipped|skipping|cut|cutting|scratched|scratching|dug|digging|rubbed|rubbing|pulled|pulling) (?:[a-z0-9]+ ){0,6}(?:on purpose|to feel (?:it|something|pain|the pain)|to punish (?:me|myself)|until i (?:saw|see) (?:stars|blood)|until (?:it|they|my [a-z]+) (?:bled|bleeds|bleed|goes numb|went numb|broke|cracked)|and i (?:deserved|deserve) it|i (?:deserved|deserve) it)(?! (?:in the game|at work))"),
    _p(SELF_HARM, r"(?:digging|dug|dig|digs) my (?:nails|fingernails) into"),
    _p(SELF_HARM, r"(?:pulling|pulled|pull|ripping|ripped) (?:my|out my) hair (?:out )?(?:in clumps|out|until|again)"),
    _p(SELF_HARM, r"(?:hitting|hit|hits|beating|beat|smacking|smacked|punching|punched) my (?:own )?(?:thighs?|legs?|arms?|head|face|chest|stomach) with (?:a|my|the)"),
    _p(SELF_HARM, r"(?:rubbing|rubbed|scrubbing|scrubbed|scratching|scratched) my (?:skin|arms?|hands?|legs?) raw"),
    _p(SELF_HARM, r"(?:bashing|banging|slamming|smashing|beating|beat|hitting|bashed|banged|slammed) my head (?:on|against|into) (?:the|a) (?:wall|floor|door|mirror|table|desk|dashboard)(?: [a-z]+){0,2} (?:again|until|till|til|over and over|on purpose|tonight|last night)"),
    _p(SELF_HARM, r"(?:punched|punching|punch|smashed|smashing|broke|slammed|slamming) (?:the |a |my )?(?:mirror|wall|window|table|door|fist) (?:[a-z]+ ){0,4}(?:kept going|until|till|and (?:kept|i want|im going) to)"),
    _p(SELF_HARM, r"(?:want|wants|wanting) (?:my body|myself) to (?:pay|suffer|hurt|waste away|rot)|(?:want|wanna) to (?:waste away|wither away|rot away)"),
    _p(SELF_HARM, r"(?:dont|do not|didnt) deserve (?:food|to eat|water|to sleep|a bed)"),
    _p(SELF_HARM, rf"(?:burn|burning|burned|burnt|brand|branded|branding) (?:{_ME}|my (?:arms?|skin|wrists?|hands?|legs?|thighs?)) (?:with (?:a |the )?(?:lighter|cigarette|match|matches|iron|torch|hot)|again|until|to feel)"),
    # survivor guilt: going to join them, next, trading places, being alive feels wrong
    _p(SURVIVOR_GUILT, r"(?:go|going to|gonna|want to|wanna|ready to|time to|about to|will|should|need to) (?:go )?(?:join|be with) (?:them|the ones i lost|my (?:guys|brothers|squad|team|buddies|boys|platoon|unit|sgt|sergeant|friends)|the (?:fallen|guys|boys)|him)(?= \||$| soon| again| now| up there| over there| too| already)"),
    _p(SURVIVOR_GUILT, r"(?:trade|traded|trading|swap|switch) places with (?:him|her|them|my [a-z]+|(?!you|yall)[a-z]+)(?= \||$| in a| any| if| tonight| right now| for| in (?:that|the|a) (?:cemetery|grave|ground|coffin|casket|box))"),
    _p(SURVIVOR_GUILT, r"(?:time|my turn) for me to (?:go|join them|follow)(?: too)?(?= \||$)"),
    _p(SURVIVOR_GUILT, r"(?:being|im|i am|still) (?:still )?alive (?:feels|seems|is) (?:wrong|like a mistake|unfair|like stealing)"),
    _p(SURVIVOR_GUILT, r"(?:stole|stolen|owe|took) my life from (?:him|her|them)|(?:give|giving) (?:it|my life) back(?= \||$| to (?:him|her|them))"),
    _p(SURVIVOR_GUILT, r"(?:think|thinking|thought) about dying (?:to|so|for|every|all|again)"),
    _p(SURVIVOR_GUILT, r"(?:debi|debia|debio) (?:haber )?(?:morir|muerto)|irme con (?:ellos|mis companeros|mis hermanos)"),
    # wishing not to wake: disappointed to wake, hoping the heart stops, relieved if killed
    _p(WISH_TO_DIE, r"(?:woke|wake|waking) up (?:again|still alive|alive|still breathing)(?: \|)? (?:[a-z]+ ){0,3}(?:damn|dammit|ugh|disappointed|unfortunately|sadly|hoping i wouldnt|hoped i wouldnt)"),
    _p(WISH_TO_DIE, r"disappointed (?:every morning |each morning |when |that )?(?:i )?(?:wake|woke|waking) up"),
    _p(WISH_TO_DIE, r"(?:hope|hoping|hoped|pray|praying|prayed|wish|wishing)(?: that)? my (?:heart|body|lungs|liver) (?:would |will |to )?(?:just )?(?:stop|stops|give out|gives out|gave out|quit|quits|fails|fail)"),
    _p(WISH_TO_DIE, r"(?:hope|hoping|pray|praying|wish|wishing) (?:[a-z]+ ){0,5}(?:terminal|fatal|incurable)"),
    _p(WISH_TO_DIE, r"(?:died|die|was killed|got killed|killed me|hit me|took me)(?: [a-z]+){0,2} (?:id|i would|itd|it would|i d) be (?:relieved|a relief|happy|glad|fine|ok|okay|grateful)"),
    _p(WISH_TO_DIE, r"(?:relieved|a relief|glad|grateful) if i (?:died|die|was dead|were dead|got killed|didnt make it)"),
    _p(WISH_TO_DIE, rf"(?:not|never) (?:exist|existing) (?:anymore|any more|again){_CLAUSE_END}|(?:disappear|vanish) and (?:not|never) (?:exist|come back)"),
    _p(WISH_TO_DIE, r"(?:close|closing) my eyes and (?:be done|never|not|just stop)"),
    _p(WISH_TO_DIE, r"(?:ready|want|wanna|going|time) to stop (?:living|breathing|existing)|(?:quit|stopped|stop) breathing(?= \||$| for good| forever)"),
    _p(WISH_TO_DIE, r"(?:ya no estar aqui|desaparecer para siempre|(?:ojala|quisiera|quiero) no (?:despierte|despertara|despertar nunca))", negatable=False),
    # burden: a favour by dying, win-win, easier or lighter without me, not worth saving
    _p(BURDEN, r"(?:doing|do|did) (?:everyone|everybody|them|her|him|the world|my family|yall) a (?:favou?r|kindness) (?:by|if i)"),
    _p(BURDEN, r"(?:kindest|best|only|nicest|right) thing (?:i can do |left to do |to do )?(?:for [a-z ]{2,20} )?is (?:die|to die|go|leave|disappear|be gone|not be here|kill myself|end it)"),
    _p(BURDEN, r"(?:win win|everybody wins|everyone wins|all win)(?: \|)? (?:if|when|once) i (?:die|am dead|im dead|im gone|disappear|go)|(?:if|when|once) (?:i die|im dead|im gone|i go)(?: \|)? (?:its a )?(?:win win|everybody wins|everyone wins)"),
    _p(BURDEN, r"(?:easier|better|lighter|happier|cheaper|simpler) for (?:everyone|everybody|them|her|him|my (?:family|kids|wife|husband|mom|dad)|all of them) (?:if|when|once) (?:i|im) (?:dead|gone|die|died|wasnt here|was gone|not here|not around)"),
    _p(BURDEN, r"(?:world|place|house|family|life) (?:would|will) be (?:lighter|better|happier|easier|quieter) without me"),
    _p(BURDEN, r"better off (?:[a-z]+ ){0,3}if i (?:just )?(?:never came home|never came back|quit breathing|stopped breathing|wasnt alive|werent alive|was not alive|never existed|never made it)"),
    _p(BURDEN, r"(?:not|isnt|im not|i am not|aint) worth (?:saving|keeping alive|the trouble|the effort|keeping around|the oxygen)"),
    _p(BURDEN, r"(?:by )?being gone for good|(?:if|when|once) (?:im|i am|i was|i were|ill be) (?:dead|gone for good)(?! (?:wrong|tired|serious|set|last|broke|on|center))"),
    _p(BURDEN, r"(?:make it|making it) so (?:they|she|he|you|yall|nobody|no one) (?:never )?(?:have|has|will have) to (?:[a-z]+ ){0,3}again"),
    # hopeless: stop fighting to stay alive, dying the only way, no reason to be alive
    _p(HOPELESSNESS, r"(?:stop|stopping|quit|quitting|give up|giving up|done) (?:fighting|trying) to (?:stay alive|live|keep going|keep living|survive)"),
    _p(HOPELESSNESS, r"(?:dying|death|suicide|ending it|killing myself) is the only (?:one|way|option|thing|answer|exit|way out|choice|solution)"),
    _p(HOPELESSNESS, r"(?:dont|do not|cant|cannot) see (?:a|any|the) (?:reason|point) to (?:be alive|stay alive|keep living|keep going|wake up|be here|go on)", negatable=False),
    _p(HOPELESSNESS, r"(?:dont|do not) see why i should (?:keep|go on|stay|bother)", negatable=False),
    _p(HOPELESSNESS, r"(?:cant|cannot) (?:picture|imagine|see) (?:myself )?being (?:alive|here|around)", negatable=False),
    _p(HOPELESSNESS, r"(?:dont|do not|no longer) (?:want|wanna) to (?:keep )?(?:existing|exist|living it|live it)(?: like this)?", negatable=False),
    _p(HOPELESSNESS, r"why (?:stick|hang|stay|keep sticking) around(?= \||$| on this earth| here| any longer| anymore)"),
    _p(HOPELESSNESS, r"(?:my )?life is (?:just )?(?:over|a sentence|a prison)(?: \|)? (?:[a-z]+ ){0,2}(?:might as well|may as well|i want out|nothing left|no point)"),
    _p(HOPELESSNESS, r"(?<![^|] )(?:im|i am) (?:so |just )?done(?: \| just done| \| im done)?(?= \||$)"),
    _p(HOPELESSNESS, r"(?:harto|harta|cansado|cansada) de (?:vivir|la vida|existir)|quiero acabar(?:la| con (?:ella|mi vida|todo|esto))|mi vida no vale nada"),
    # --- detect6 families (bench/data/crisis_train_extra.jsonl): shapes, not one note's words ---
    # firearms: the action worked, the barrel looked down, the gun kept within reach
    _p(FIREARM, r"(?:racked|rack|racking|racked back) the slide|(?:pulled|pull|pulling|cocked|cocking) (?:the )?hammer back|(?:clicked|flipped|took|taking) the safety off"),
    _p(FIREARM, r"(?:looking|looked|look|stare|staring|stared) (?:down|into) the (?:barrel|muzzle)"),
    _p(FIREARM, rf"(?:{_GUN}|barrel|muzzle) {_gap(2)}(?:cold )?(?:against|on|to|under|in) my {_HEAD}"),
    _p(FIREARM, rf"(?:have|got|keep|kept|keeping|with) (?:a|my|the) {_GUN} (?:within reach|in reach|close by|right here|next to me)(?: \|)? (?:and|but) (?:my head|i) (?:is|am|im)? ?(?:not right|not ok|not okay|not safe|scared|in a bad place|in a dark place)"),
    _p(FIREARM, rf"(?:round|bullet|shell|slug) {_gap(6)}(?:my )?(?:ticket out|way out|exit|last one|for me)(?= \||$)"),
    _p(FIREARM, rf"(?:asked|got|getting|get|told) (?:my [a-z]+|him|her|them) (?:to )?(?:give|giving|gave|bring|return) (?:back )?my {_GUN} (?:back )?(?:[a-z|]+ ){{0,8}}(?:i lied|lied|not ok|not okay|not fine)"),
    # other means: a spot picked, a limb or rail tested, water walked into, poison drunk
    _p(OTHER_MEANS, r"(?:picked|picking|pick|found|finding|scouted|scouting|chose|chosen) (?:out )?(?:a|the|my) (?:spot|place|tree|branch|limb|beam|bridge|ledge|cliff|overpass)(?: [a-z0-9]+){0,6} (?:strong|sturdy|high|nobody|no one|where|low|good enough|to do it|for it)"),
    _p(OTHER_MEANS, r"(?:drive|driving|drove|go|going|went) off (?:the|a|that) (?:mountain |canyon )?(?:road|cliff|bridge|edge|overpass|embankment)(?! (?:trip|trail|for (?:a|the) (?:hike|trip)))"),
    _p(OTHER_MEANS, r"(?:no|without a|missing) guard ?rail(?= \||$)"),
    _p(OTHER_MEANS, r"(?:drank|drink|drinking|swallowed|swallow|chugged|downed) (?:a lot of |some |the |a bottle of |a cup of |half a bottle of )?(?:bleach|drain cleaner|antifreeze|rat poison|poison|weed killer|pesticide|lye)"),
    _p(OTHER_MEANS, r"(?:swim|swimming|walk|walking|wade|wading|paddle|paddling) out (?:until|till|til|as far as) (?:i|my arms) (?:cant|give out|cannot|drown|go under)"),
    _p(OTHER_MEANS, r"(?:slowing|slow|slowed|stopping|stopped|stop|pulling over|pulled over) (?:down )?(?:at|on|in) the (?:middle|top|edge|highest point) of the (?:bridge|overpass|dam)"),
    _p(OTHER_MEANS, r"(?:cinder ?block|rocks?|weights?) (?:and|in) (?:the|my) (?:lake|river|ocean|pockets)"),
    # pills: doses palmed or spat out, counted, hoarded whoever they were prescribed to
    _p(OVERDOSE, rf"(?:palming|palmed|spitting out|spit out|spat out|cheeking|cheeked|hiding|hid|pocketing|pocketed) (?:my |the |all my |some of my )?{_PILLS}"),
    _p(OVERDOSE, rf"(?:saving|saved|save|stockpiling|stockpiled|hoarding|hoarded|collecting|collected|stashing|stashed|keeping|kept) (?:up )?(?:all )?(?:of )?(?:my |the |his |her )?(?:[a-z]+s |late [a-z]+s |old )?{_PILLS}(?! (?:for (?:the|my) (?:trip|vacation|deployment|appointment|doctor|pharmacy)|in the (?:organizer|lockbox)))"),
    _p(OVERDOSE, rf"(?:counted|counting|recounted|counted out) (?:my |the |all my |all the )?{_PILLS} (?:twice|again|out|[a-z]+ times)(?: \|)? (?:its |theres |thats )?(?:enough|plenty)"),
    _p(OVERDOSE, rf"(?:took|take|taking|swallowed|swallow|downed|popped) (?:like |about |maybe |almost |over )?(?:[1-9][0-9]+|twenty|thirty|forty|fifty|sixty|a hundred) (?:of )?(?:my |the |his |her |these |those )?(?:[a-z]+ )?{_PILLS}"),
    _p(OVERDOSE, rf"(?:holding|holding on|holding onto|hanging onto|hanging on to|kept|keeping) (?:to )?(?:the |my |all the |all my )?(?:[a-z]+ )?{_PILLS} {_gap(6)}(?:\| )?(?:just )?in case(?= \||$)"),
    _p(OVERDOSE, rf"(?:enough|plenty) (?:{_PILLS} )?(?:saved|stashed|put away|now)(?: \|)? (?:to|for) (?:do it|it|the job|when|tonight|never wake)"),
    _p(OVERDOSE, r"(?:take|taking|took|swallow|swallowing|ate|eat) (?:the |my )?(?:whole|entire) (?:stash|supply|bottle|stockpile)"),
    # goodbye: signing off, loose ends tied, who gets what, one last call, a mess spared
    _p(GOODBYE, r"(?<![^|] )(?:this is |and )?(?:me )?(?:signing|sign|logging) off(?: \|)? (?:love|take care|goodbye|bye|thank|thanks|its been|so long|for now and)"),
    _p(GOODBYE, r"(?:tying|tie|tied|tidying) up (?:all )?(?:the |my )?loose ends"),
    _p(GOODBYE, r"(?:squaring|squared|square) (?:things|everything|it all|my accounts|my debts) (?:up|away)(?! (?:before|for) (?:the|my|our) (?:move|trip|deployment|inspection|audit))"),
    _p(GOODBYE, rf"(?:so |that |and )?(?:nobody|no one|my (?:family|wife|kids|mom|sister|brother)) (?:has|have|will have|wont have) to (?:deal with|clean up|find|sort out|handle) (?:a |the |my )?(?:mess|me|anything|body|stuff)(?: after| when| once|{_CLAUSE_END})"),
    _p(GOODBYE, r"(?:voices?|faces?) (?:one (?:more|last|final) time|for the last time)"),
    _p(GOODBYE, r"(?:wrote|written|write|writing|left|leaving|put) (?:out |down )?(?:all )?my (?:passwords|pins|account numbers|bank info|insurance info)(?: [a-z0-9]+){0,4} (?:for|in an envelope|on the|where)"),
    _p(GOODBYE, r"(?:[a-z]+ )?(?:is|are) getting my (?:truck|car|guns?|rifles?|dog|cat|house|stuff|tools|medals|bike)(?: \|)? (?:[a-z]+ ){0,3}(?:the|my) (?:[a-z]+ )?(?:goes|go|gets|get) to"),
    _p(GOODBYE, r"(?:tell|told|asked) (?:my )?(?:[a-z]+ )?(?:not to|to not|dont|do not) (?:be sad|cry|blame (?:herself|himself|themselves|yourself))(?! (?:about|at|when (?:i|we) (?:leave|move|deploy)))"),
    _p(GOODBYE, r"(?:tell|let) (?:the group|everyone|them|my (?:family|wife|kids|mom|counselor)|yall|you all|her|him) (?:know )?(?:that )?(?:it|this) (?:wasnt|isnt|was not|is not) (?:their|your|her|his|anyones) fault"),
    _p(GOODBYE, r"(?:wont|will not|not going to) be at (?:the |group|our )?(?:[a-z]+ )?(?:meeting|group|check ?in)?(?: [a-z]+)? (?:or )?any (?:after|other|more|of them)(?: that| after that)?(?= \||$)"),
    _p(GOODBYE, r"(?:recorded|recording|record|made|making) (?:a )?(?:video|message|tape|voicemail) for (?:my [a-z]+|her|him|them|the kids) (?:for when|to watch when|for after|to play after)"),
    _p(GOODBYE, r"(?:cancelled|canceled|cancel|cancelling) (?:my |all my )?(?:appointments?|phone|plan|lease|subscriptions?|membership)(?: [a-z]+){0,4} (?:wont|will not|not going to) (?:need|be needing)"),
    _p(GOODBYE, r"(?:dont|do not|no need to) (?:bother )?(?:renew|renewing|refill|refilling|save|saving|hold|holding) (?:my|me a) (?:membership|spot|seat|prescription|refill|lease|subscription)(?= \||$)"),
    # burden: a cost, a problem, worth more dead, better off with the insurance or a memory
    _p(BURDEN, r"(?:nothing but|just|only) (?:a |one )?(?:big )?(?:problem|drag|weight|headache|liability|disappointment|mess) (?:to|for|on) (?:the people|everyone|everybody|my family|my kids|my wife|them|anyone)"),
    _p(BURDEN, r"(?:cost|costing|costs) (?:my family|everyone|them|her|him|my wife|my kids|people) (?:more than im worth|more than i am worth|too much|everything)"),
    _p(BURDEN, r"(?:worth more|more useful|more valuable) (?:to (?:them|her|him|my family|everyone) )?(?:dead|gone|than me|than i am|as a memory|on paper)"),
    _p(BURDEN, r"better off (?:with|having) (?:the|my|a) (?:insurance|life insurance|money|payout|memory|check|pension|survivor benefits)(?: [a-z]+){0,3}(?: than (?:a|me|with))?"),
    _p(BURDEN, r"(?:nobody|no one|noone) (?:needs|wants) me(?: \|)? (?:[a-z]+ ){0,3}(?:move on|get over it|be fine|be better|forget)"),
    _p(BURDEN, r"(?:im|i am|feel like im|feel like i am) (?:a |such a |just a |the )?(?:drag|weight|anchor|drain|dead weight|problem|curse|cancer) (?:on|to|for) (?:everyone|everybody|my family|the people|them|my wife|my kids|this family|this group|this world)"),
    _p(BURDEN, r"(?:remove|take) me (?:out of the picture|out of the equation|away) and (?:the|their|everyones|all) (?:problems?|lives|life)(?: [a-z]+){0,2} (?:is |are )?(?:solved|fixed|better|gone)"),
    # no future: pointless, never ends, nothing to live for, a dark tunnel, waiting to be done
    _p(HOPELESSNESS, r"(?:life|living|everything|it all|my life|existing) (?:feels|is|seems) (?:so |completely |totally )?(?:pointless|meaningless|hopeless|empty)(?! (?:at work|today|this morning|in this class))"),
    _p(HOPELESSNESS, r"(?:it|this|the pain|this pain|the hurt|this life|this hell)(?: is| will)? (?:never|not ever) (?:going to |gonna )?(?:end|stop|let up|go away|get better)(?= \||$| for me)"),
    _p(HOPELESSNESS, r"(?:no|never any|not any|aint no) light at the end of (?:the|this|my) tunnel"),
    _p(HOPELESSNESS, r"(?:dont|do not|no longer|dont really) (?:have|got) (?:anything|anyone|anybody|nothing|a reason|any reason|much) (?:left )?to live for", negatable=False),
    _p(HOPELESSNESS, r"(?:dont|do not|no longer|stopped) (?:care|caring) (?:what|whether|if) (?:happens to me|i live|i make it|i wake)", negatable=False),
    _p(HOPELESSNESS, r"(?:just )?(?:waiting|waiting around) (?:to be done|to die|for it to be over|for the end|for my turn to go)"),
    _p(HOPELESSNESS, r"(?:cant|cannot|dont|do not) (?:find|think of|see) (?:one|a single|a|any) (?:reason|thing) to (?:stay|live|keep going|be here|go on|stick around)", negatable=False),
    _p(HOPELESSNESS, r"(?:out of|no more|lost my|lost the) (?:fight|will to live|will to keep going|reasons to live|ideas for living)(?! (?:in the|at the|with))"),
    _p(HOPELESSNESS, r"(?:dont|do not) have it in me (?:anymore|to keep (?:going|fighting|living|trying)|to go on)", negatable=False),
    # wishing not to be alive: a heart that stops, a waking regretted, never having existed
    _p(WISH_TO_DIE, r"(?:fine|ok|okay|happy|glad|relieved|good) if my (?:heart|body|breathing|lungs) (?:just )?(?:stopped|stops|gave out|gives out|quit|quits)"),
    _p(WISH_TO_DIE, r"(?:wish|wished|wishing) (?:that )?i (?:hadnt|had not|didnt|did not|never) (?:woke|woken|wake|waken) up"),
    _p(WISH_TO_DIE, r"(?:disappointed|pissed|upset|sad|angry|mad) (?:that )?(?:im|i am|i was|to be) still (?:breathing|alive|here)"),
    _p(WISH_TO_DIE, r"(?:wish|hope|hoping|pray|praying) (?:the |my )?(?:cancer|tumor|disease|sickness|illness|infection|heart) (?:would |will |to )?(?:come back|get worse|spread|win)(?: [a-z]+){0,2}(?: and)? (?:finish|take|kill) me"),
    _p(WISH_TO_DIE, r"(?:give|trade) anything to (?:not be alive|be dead|not exist|not be here|not wake up|stop existing|die)"),
    _p(WISH_TO_DIE, r"(?:never have existed|never existed at all|erase (?:myself|me) from existence|never have been born)"),
    _p(WISH_TO_DIE, r"(?:id|i would|i d) (?:honestly |truly |really )?welcome (?:it|death|dying|the end)(?= \||$)"),
    _p(WISH_TO_DIE, r"(?:wouldnt|would not) (?:mind|care|fight it) (?:if i )?(?:dying|died|die|to die|not waking up|never waking up)"),
    # harm to others: someone will get hurt, until they stop moving, a fist through a face
    _p(HARM_TO_OTHERS, rf"(?:someone|somebody|people|a person|he|she|they)(?: at work| at the va| here| there| in this house)? (?:is|are|will be|is gonna|are gonna|is going to|are going to) (?:get|be|end up) (?:hurt|killed|shot|stabbed|dead)(?: \|)? (?:im|i am|i swear|i promise|if|and|because|tonight|tomorrow){_HAZARD}"),
    _p(HARM_TO_OTHERS, r"(?:until|till|til) (?:he|she|they|it) (?:stops|stop) (?:moving|breathing|fighting)"),
    _p(HARM_TO_OTHERS, r"(?:put|putting|drive|driving) my (?:fist|hand|knee|boot|knife) (?:through|into) (?:his|her|their|my [a-z]+s|that [a-z]+s) (?:face|skull|head|throat|chest)"),
    # self-harm: again after years clean, pressed or held against skin until it blisters
    _p(SELF_HARM, r"(?:started|start|starting|back to|went back to|relapsed|relapsing) (?:on )?(?:cutting|burning|hurting myself|self harming)(?: again| after| last)"),
    _p(SELF_HARM, r"(?:pressing|pressed|press|holding|held|hold) (?:the |a |my )?(?:lighter|cigarette|iron|blade|knife|hot [a-z]+) (?:into|against|on|to) my (?:[a-z]+ )?(?:skin|arm|arms|palm|hand|wrist|leg|thigh|stomach)"),
    _p(SELF_HARM, r"(?:till|until|til) (?:it|they|my skin) (?:blisters?|bleeds?|bled|blistered|burns|scars)"),
    # timeline: a date picked, dead by a day, a decision no one can stop
    _p(SUICIDAL, r"(?:ill|i will|im going to|im gonna|i wont|i will not) (?:be dead|be gone|not be alive|not be here|not be around)(?: for good)? (?:by|before|after|on|come) (?:friday|saturday|sunday|monday|tuesday|wednesday|thursday|the weekend|this weekend|tomorrow|tonight|morning|christmas|new year|my birthday|the [0-9]+(?:st|nd|rd|th)?|next week|the end of the (?:week|month))"),
    _p(SUICIDAL, r"(?:picked|pick|set|chose|chosen|wrote down|circled|marked|have|got) (?:a|the|my) (?:date|day)(?: \|)? (?:[a-z0-9]+ ){0,3}(?:the [0-9]+(?:st|nd|rd|th)?|friday|saturday|sunday|monday|tuesday|wednesday|thursday|for it|to do it|to go|im ready|after)(?! (?:for (?:the|our|my) (?:wedding|party|move|trip|surgery|court|hearing|appointment|closing|interview)))"),
    _p(SUICIDAL, r"(?:nobody|no one|nothing|noone) (?:can|is going to|will|could) (?:stop|talk) me (?:this time|now|anymore|out of it)(?! (?:from (?:going|finishing|getting|graduating|quitting)|at|on))", negatable=False),
    # slang and euphemism: formation, taps, valhalla, chips cashed, the last ride home
    _p(SUICIDAL, r"(?:my )?(?:last|final) (?:formation|roll call|muster|patrol|mission|ride|flight|salute)(?= \||$| for me| soon| tonight| is| see you| coming)(?! (?:was|at|with the|of the (?:day|season)))"),
    _p(SUICIDAL, r"(?:taps|amazing grace|the bugle) (?:for me|is playing for me|will play for me|playing for me)"),
    _p(SUICIDAL, r"see (?:you|yall|ya|you all|everyone) (?:in|at) (?:valhalla|fiddlers green|the gates)|(?:going|headed|heading|off|ready to go) to (?:valhalla|fiddlers green)"),
    _p(SUICIDAL, r"(?:cash|cashing|cashed) in my chips"),
    _p(SUICIDAL, r"(?:join|joining|meet|meeting) the 22(?! (?:a day|pushup|push up|challenge|ruck|walk|for))"),
    _p(SUICIDAL, r"(?:catch|catching|take|taking|ready for) (?:the|my) (?:final|last) (?:flight|ride|train|bus|chopper|bird) (?:home|out)(?! (?:of (?:the|this) (?:week|month|deployment)|from (?:the )?(?:base|airport)|on (?:friday|monday)))"),
    _p(SUICIDAL, r"(?:checking|check|checked|clocking|signing|tapping) out (?:early )?(?:\| )?(?:for good|permanently|for real this time)"),
    _p(SUICIDAL, r"(?:at|found|made) peace with (?:my|the) (?:decision|choice|plan)(?! (?:to (?:retire|move|quit|leave|sell|divorce|get|stay|go back|enlist|reenlist)))"),
    _p(SUICIDAL, r"(?:soon )?(?:i )?(?:wont|will not|wont ever|will never) (?:feel|hurt) (?:anything|a thing|this|again)(?: \|)? ?(?:soon|anymore|ever again|after tonight)?(?= \||$)", negatable=False),
    _p(SUICIDAL, r"none of (?:this|it) (?:will|is going to|gonna) be my problem(?= \||$| after| by| soon| anymore| much longer)"),
    _p(SUICIDAL, r"(?:you|yall|nobody|no one|my [a-z]+|she|he|they)(?:ll| will)? (?:wont|will not|never|dont|do not) (?:have|need) to (?:worry about|pay|cover|deal with) (?:me|my (?:rent|bills|stuff|debts|problems|mess))(?: [a-z]+){0,2} (?:after|next month|much longer|anymore|soon|for long)", negatable=False),
    _p(SUICIDAL, r"(?:nobody|no one|noone|you|yall) (?:has|have|will have|wont have|will) to (?:carry|drag|babysit|put up with|take care of) me (?:much longer|anymore|for long|after)", negatable=False),
    # negation inside the crisis: not seeing oneself alive, not safe, not needed, not waking
    _p(HOPELESSNESS, r"(?:dont|do not|cant|cannot|no longer) (?:see|picture|imagine) (?:myself|me) (?:making it|being (?:here|around|alive)|living|alive|surviving|getting through|lasting)(?! (?:in|at|with|on) (?:the|this|that|a) (?:job|class|town|city|house|marriage|program|unit|team))", negatable=False),
    _p(SUICIDAL, r"(?:dont|do not|cant|cannot) (?:think i can|know if i can|trust that i can|promise (?:i can|ill|to)|keep myself|stay|be) (?:stay |keep (?:myself )?|be )?safe(?: tonight| right now| anymore| alone| much longer|(?= \||$))", negatable=False),
    _p(FIREARM, rf"(?:cant|cannot|wont) (?:stop|quit) (?:staring at|looking at|thinking about|touching|holding|picturing) (?:the|my|that) (?:{_PILLS}|{_MEANS})"),
    _p(FIREARM, rf"(?:cant|cannot) get (?:the|my|that) (?:{_GUN}|rope|noose|bridge|pills|knife|tracks|razor) out of my (?:head|mind)"),
    _p(GOODBYE, r"(?<![^|] )(?:please )?(?:dont|do not) (?:try to |come )?(?:find|look for|search for|save|stop|call) me(?= \||$)", negatable=False),
    _p(BURDEN, r"(?:dont|do not|no longer) (?:need|deserve|have) to be (?:here|alive|around|on this earth)(?! (?:until|till|for|at|on|by|early|today|tomorrow|in person))", negatable=False),
    _p(HOPELESSNESS, r"(?:dont|do not) know (?:how much longer|how long) i can (?:hold on|keep (?:going|this up|fighting|living|doing this)|do this|last|take (?:it|this)|stay)", negatable=False),
    _p(WISH_TO_DIE, r"(?:dont|do not|cant|cannot) feel anything (?:except|but|other than) (?:wanting|the urge|the need|the want) (?:it |this |everything |life )?(?:to (?:end|stop|be over)|to die|to disappear)", negatable=False),
    _p(HOPELESSNESS, r"(?:no|not any|isnt any|not one) (?:reason|point) for me to (?:stay|live|be here|keep going|go on|stick around|wake up|get up)", negatable=False),
    _p(GOODBYE, rf"(?:wont|will not|not going to) (?:need|be needing) (?:my|the|any) (?:[a-z]+ )?(?:{_PILLS}|truck|car|stuff|things|clothes|guns?|tools|apartment|phone|appointments?) (?:after|past|beyond) (?:this|tonight|today|tomorrow|friday|saturday|sunday|monday|the weekend)", negatable=False),
    _p(WISH_TO_DIE, r"(?:didnt|did not|dont|do not) want to wake up (?:today|this morning|tomorrow|again|anymore)(?: \|)?(?: and (?:i )?(?:dont|do not|wont) (?:want to )?(?:tomorrow|again))?", negatable=False),
    _p(SELF_HARM, r"(?:havent|have not|not) (?:eaten|eating|drank water|slept) in (?:days|a week|weeks)(?: \|)? (?:and )?(?:i )?(?:dont|do not|wont) (?:plan|intend|want|care) to", negatable=False),
    # goodbye: arrangements made, who should have the flag, funeral instructions, last words said
    _p(GOODBYE, r"(?:made|making|make) (?:the )?arrangements for (?:the|my) (?:dog|dogs|cat|cats|kids|truck|funeral|stuff|pets?|body)"),
    _p(GOODBYE, r"(?:want|wants|need) my (?:son|daughter|kids|boy|girl|wife|brother|nephew|niece|grandson|granddaughter|buddy) to have my (?:flag|medals|guns?|rifles?|truck|watch|ring|tags|dog tags|uniform|knife|bible)(?= \||$| when| after| if)"),
    _p(GOODBYE, r"(?:finished|finishing|wrote|writing|written|said|saying) (?:out |all )?my goodbyes"),
    _p(GOODBYE, r"(?:instructions|plans|wishes|music|songs) for (?:the|my) funeral|funeral (?:instructions|wishes)"),
    _p(GOODBYE, r"(?:so|and) (?:she|he|they|my wife|my husband|my family|the kids)(?: [a-z]+)? (?:wont|will not|doesnt|dont|never) (?:have|need) to (?:handle|deal with|pay|worry about|figure out) (?:the |my )?(?:[a-z]+ )?(?:bills|money|accounts|stuff|anything|mess|paperwork) (?:after|when|once)"),
    _p(GOODBYE, r"(?:said|told|written|wrote|saying) everything i (?:needed|wanted|had) to (?:say|tell)(?: to)?(?= \||$| (?:to )?(?:my|her|him|them|everyone|yall|you))(?! (?:to (?:the|my) (?:boss|lawyer|judge|landlord|doctor|counselor|therapist)))"),
    _p(GOODBYE, r"(?:please |just )?remember (?:the good times|me (?:as|for|the way)|me well|the good (?:stuff|parts|days) about me)"),
    _p(GOODBYE, r"(?:you|yall|you guys|you all|nobody|no one|everyone)(?:ll| will)? (?:wont|will not|will never|never|wont ever) (?:hear from|see) me (?:after|again|anymore|past) ?(?:tonight|today|this|tomorrow|the weekend)?(?! (?:until|till|for|before|at|next))", negatable=False),
    _p(SUICIDAL, rf"(?:it|everything|this|all this|my problems|the pain|it all)(?:ll| will| is going to| s going to| is gonna)? (?:all )?be over (?:soon|by {_WHEN}|after {_WHEN}|{_WHEN})(?= \||$)(?! (?:and|then))"),
    # hyperbole and idiom as harmless frames are below (HARMLESS)
    # detect6, third pass: gas and a mask, a wreck hoped for, papers laid out, benefits, worry
    _p(OTHER_MEANS, r"(?:helium|nitrogen)(?: tank| canister| bottle)? (?:and|with) (?:a )?(?:mask|bag|tube|hose|regulator)|(?:tank|canister|bottle) of (?:helium|nitrogen) and (?:a )?(?:mask|bag|tube|hose)|exit bag|bag over my head"),
    _p(OTHER_MEANS, r"(?:hoping|hope|hoped|praying|pray|prayed|wishing|wish) for (?:a|the) (?:wreck|crash|accident|heart attack|stray bullet|bullet|semi|truck)(?! (?:free|report|claim|lawyer))"),
    _p(GOODBYE, r"(?:passwords|pin numbers|pins|account numbers|the deed|deed|insurance papers|insurance policy|policy|will|dd214) (?:[a-z0-9]+ ){0,5}(?:in a folder|in an envelope|on the (?:kitchen )?table|on the counter|on the dresser|in the (?:top )?drawer|where (?:she|he|they) (?:can|will) find)"),
    _p(BURDEN, r"(?:they|she|he|my [a-z]+|the kids|my family|everyone)(?:d| would| will|ll| could)? (?:get|have|collect) (?:my |the )?(?:survivor benefits|life insurance|insurance money|the insurance|payout|death benefits|sgli)(?! (?:if (?:something|anything)|in case|one day|someday|when im old))"),
    _p(SUICIDAL, r"(?:dont|do not|no need to|you dont need to|nobody needs to) worry about me (?:after (?:tonight|today|this|tomorrow|the weekend)|ever again|anymore|from now on|much longer)", negatable=False),
    _p(GOODBYE, r"(?:wont|will not|not going to|am not going to) be (?:coming|comin) back(?: to (?:group|here|the group|meetings|this group|the meetings|check ?ins))?(?= \||$)(?!.*(?:because|since|cause|cuz|moving|move|job|schedule|shift|graduat|finished|program|trip|school|court|surgery|work))", negatable=False),
    _p(SUICIDAL, r"(?:see|join|meet|meeting|joining) (?:you|yall|ya|you all|everyone|the guys|the boys|my (?:guys|brothers|buddies|boys|squad|team)) (?:in|at) (?:valhalla|fiddlers green|the gates|the pearly gates)"),
    _p(WISH_TO_DIE, r"(?:mejor|prefiero estar|preferiria estar) muert[oa]|(?:ojala|quisiera) (?:no )?(?:haber sobrevivido|no haber vuelto)"),
    _p(OTHER_MEANS, r"(?:tengo|compre|prepare|amarre|colgue) (?:la|una|mi) (?:soga|cuerda)|(?:la )?soga (?:lista|preparada|en el|colgada)"),
    # a dose field, or a whole note, that is just the whole supply ("the whole bottle")
    _p(OVERDOSE, r"^(?:the |a |my |all the |all my )?(?:whole|entire|full) (?:bottle|box|pack|packet|strip|supply|stash|script|prescription|month)(?: of (?:them|it|pills|tablets|meds))?(?: \|)?$"),
    # detect6, fourth pass: resting for good, no meeting ever, cards for every birthday
    _p(SUICIDAL, r"(?:finally )?(?:rest|sleep|go to sleep) (?:for good|forever|permanently)(?= \||$)"),
    _p(GOODBYE, r"(?:next|last) (?:meeting|group|check ?in|session) or any (?:other )?(?:meeting|group|check ?in|session)s?(?: after that| ever| again)?(?= \||$)", negatable=False),
    _p(GOODBYE, r"(?:cards?|letters?|messages?|videos?|notes?) for (?:every|each) (?:birthday|year|christmas|graduation|milestone)(?: [a-z0-9]+){0,3} (?:until|till|through|up to)"),
    _p(GOODBYE, r"(?:labeled|labelled|labeling|labelling|marked|tagged) (?:it|them|everything|my stuff|the boxes|each box) (?:all )?for (?:my|her|his|the) (?!(?:movers?|moving (?:truck|company)|truck|storage|garage|attic|basement|donation|goodwill|yard sale|new (?:house|place|apartment))(?![a-z]))[a-z]+"),
    _p(GOODBYE, r"(?:dog|dogs|cat|cats|pets?|horse) (?:is|are) (?:at|with) (?:my )?[a-z]+ (?:for good|permanently|for keeps)"),
    _p(HOPELESSNESS, r"(?:i )?see no (?:way forward|way out|way through|future|reason to (?:stay|live|go on|keep going))|no way forward(?: for me)?(?= \||$| at all)", negatable=False),
    _p(SUICIDAL, r"(?:hora de|quiero|voy a|me voy a) (?:irme|marcharme|descansar|dormir) para siempre"),
    _p(BURDEN, r"nadie (?:me )?(?:va a notar|notaria|extranaria|va a extranar(?:me)?|se daria cuenta) (?:si|cuando) (?:me muero|muero|me voy|desaparezco|no estoy|ya no estoy)"),
    # detect6, fifth pass: combinations left, a letter with the medals, tired of surviving
    _p(GOODBYE, r"(?:left|leaving|gave|giving|emailed|sent|texted|wrote down|written down) (?:my |the )?(?:safe |locker |lock )?(?:combination|passwords?|pins?|codes?|pin numbers) (?:and [a-z ]{1,20} )?(?:to|for) (?:my|her|him|them|the) ?(?:[a-z]+)?(?!.*(?:house ?sitter|dog ?sitter|babysitter|while (?:im|i am) (?:away|gone|on)|trip|vacation|deploy))"),
    _p(GOODBYE, rf"(?:medals|dog tags|tags|flag|watch|ring|{_GUN}|knife|bible|coins?) (?:[a-z0-9]+ ){{0,5}}(?:with|and) a (?:letter|note) for (?:my|the) [a-z]+"),
    _p(HOPELESSNESS, r"(?:tired|sick|exhausted) of (?:surviving|breathing|pretending to be (?:ok|okay|fine|alive)|just existing)(?! (?:on|off|paycheck|the (?:week|day|shift)))"),
    _p(HOPELESSNESS, r"(?:im |i am )?(?:not going to|not gonna|wont|will not|cant|cannot) keep (?:doing this|living like this|living|waking up|fighting|going|doing this to myself)(?= \||$)", negatable=False),
    _p(WISH_TO_DIE, r"(?:relieved|glad|happy|grateful|fine) if (?:the )?(?:doctors?|doc|they|the tests?|the scan) (?:said|told me|says|say|found) (?:i had|i have|its|it was) (?:a (?:month|year|week|few (?:months|weeks))|[a-z]+ (?:months|weeks)|cancer|terminal)"),
    _p(HARM_TO_OTHERS, r"(?:going to|gonna|ill|i will|im going to|im gonna) wait (?:outside|by|for (?:him|her|them) (?:at|outside)) (?:his|her|their) (?:work|house|job|car|place|office|gym|school)(?= \||$| tomorrow| tonight| with| and)(?!.*(?:pick (?:him|her|them) up|ride|lunch|surprise|flowers|birthday))"),
    _p(HARM_TO_OTHERS, r"(?:somebody|someone|some one) (?:is|s) (?:going to|gonna) (?:pay|suffer|bleed)(?: for (?:it|this|that))?(?= \||$)"),
    _p(FIREARM, rf"(?:i )?know where (?:my [a-z]+|he|she|they) (?:keeps|hides|hid|stores|keep|hide) (?:his|her|their|the) (?:{_GUN}|guns|pills|meds|key to the safe|safe key|ammo)"),
    _p(OVERDOSE, rf"(?:lying|lied|lie) to (?:my|the|all my) (?:doctors?|docs?|psychiatrist|pharmacist|nurse|providers?) (?:to get|for|about) (?:more |extra )?(?:{_PILLS})"),
    _p(OVERDOSE, rf"(?:not|never|stopped) taking (?:any of )?(?:them|it|my {_PILLS}|the {_PILLS})(?: \|)? (?:im |i am |just )?(?:keeping|saving|stashing|holding onto) (?:them|it)", negatable=False),
    _p(HOPELESSNESS, r"ya no (?:tiene|le veo|hay) sentido (?:seguir|vivir|nada|la vida)?"),
    _p(GOODBYE, r"me (?:despedi|despido|estoy despidiendo) de (?:mis hijos|mi familia|todos|mi esposa|mi hija|mi hijo|ustedes)|(?:hice|escribi) mi testamento"),
    # Spanish: no way out, the gun in hand, a jump, a farewell letter, a cut, no reason to live
    _p(HOPELESSNESS, r"no (?:veo|hay|tengo|encuentro) (?:ninguna |otra )?salida|no (?:tengo|hay|veo|le veo) (?:ninguna |una )?(?:razon|razones|motivo|motivos|sentido)(?: para| a| de)? (?:vivir|seguir|la vida)|no le veo sentido a (?:vivir|la vida|nada)", negatable=False),
    _p(HOPELESSNESS, r"quiero que (?:todo|esto|la vida) (?:se acabe|termine|pare)"),
    _p(FIREARM, r"(?:tengo|tenia|agarre|saque) (?:el arma|la pistola|mi pistola|la escopeta|el rifle|mi arma)(?: cargada)? (?:en la mano|en la boca|en la cabeza|cargada|en las piernas|junto a mi|en la mesa)"),
    _p(OTHER_MEANS, r"(?:me (?:voy a|quiero|pienso) (?:tirar|aventar|lanzar)|(?:voy a|quiero|pienso|podria) (?:tirarme|aventarme|lanzarme|saltar)) (?:del?|desde el|desde la|al|a las) (?:puente|edificio|techo|azotea|vias|tren|precipicio)"),
    _p(GOODBYE, r"cartas? de despedida|me (?:estoy )?despid(?:o|iendo) de (?:todos|ustedes|mi familia)|(?:regale|regalando|regalar) (?:mis cosas|todo|mis armas)"),
    _p(SELF_HARM, r"me (?:corte|corto|cortaba|queme|quemo|lastime|lastimo|pegue|pego) (?:los brazos|las piernas|las munecas|la piel|otra vez|a proposito|a mi mismo)"),
    _p(SURVIVOR_GUILT, r"(?:deberia|debi|debiera) (?:haber )?(?:muerto|morir|sido yo|ido)(?: con| en| yo)?"),
    _p(BURDEN, r"(?:nadie|ninguno) (?:me )?(?:extranaria|extrañaria|notaria|echaria de menos) (?:si|cuando) (?:me muero|muero|me voy|desaparezco|no estoy)|(?:estarian|estaria|serian|estaran) mejor si (?:yo )?(?:no existiera|me muero|muriera|me fuera|desapareciera|no estuviera)"),
    _p(OVERDOSE, r"(?:pastillas|medicinas|pildoras) (?:listas|guardadas|juntadas)|(?:guardando|juntando|acumulando) (?:las |mis )?(?:pastillas|medicinas|pildoras)"),
    _p(SUICIDAL, r"(?:me voy a|voy a|quiero) (?:matar|morir|suicidar)(?:me)?(?: esta noche| manana| hoy| este fin)?|(?:pienso|pensando) en (?:suicidarme|matarme|quitarme la vida|morirme)"),
    # --- detect9: goodbyes as affairs settled, other means as an accident, survivor guilt
    # as fairness, no future as an age not pictured, pills stockpiled, harm as a drive-by ---
    _p(GOODBYE, r"nothing (?:left|else) to (?:tie up|settle|sort out|take care of|square away)"),
    _p(GOODBYE, r"(?:settled|squared away|wrapped up|tied up|took care of) (?:everything|all of it|all (?:my|the) (?:affairs|loose ends|stuff)|the loose ends|my affairs)(?! (?:for|before) (?:the |my |a |our )?(?:move|surgery|deployment|deploy|trip|baby|wedding))"),
    _p(GOODBYE, r"(?:a|new) home before i (?:go|leave|do it|check out)"),
    _p(GOODBYE, r"funeral (?:home|plot|arrangements?|costs?) (?:[a-z0-9]+ ){0,4}(?:prepaid|prepay|paid for|paid off|picked out|set up|is set)"),
    _p(GOODBYE, r"(?:wont|will not) be (?:at|in|on) (?:[a-z]+ ){1,3}(?:or )?any (?:week|day|time|month) after"),
    _p(GOODBYE, r"(?:cancell?ed|cancell?ing|cancel) (?:my |all my )?(?:phone|appointments|plan|lease|subscriptions) (?:[a-z0-9|]+ ){0,6}(?:wont need|no point|goodbyes?)"),
    _p(OTHER_MEANS, r"(?:look|looks|looking|seem) (?:like|as if) (?:it was )?an accident"),
    _p(OTHER_MEANS, r"(?:keep|kept) (?:going|coming) back (?:[a-z]+ ){0,4}(?:to )?(?:look|stare|stand) (?:over|down|at the edge)"),
    _p(SURVIVOR_GUILT, r"(?:fair|right|better) if i (?:went|died|go|had gone) instead"),
    _p(SURVIVOR_GUILT, r"cant live with (?:being )?the (?:one|only one|guy) (?:who|that) (?:made it|came home|lived|got out)"),
    _p(SURVIVOR_GUILT, r"(?:(?:ill|i will|i) (?:be|am) |im )(?:the )?next(?: one| to go)?(?! (?:in line|week|month|year|up|shift|to|door|in|at|on|for))"),
    _p(SURVIVOR_GUILT, r"(?:i )?wish (?:it (?:was|were|had been)|that was|that had been) me(?= \||$)"),
    _p(SURVIVOR_GUILT, r"(?:pretending|pretend) i (?:earned|deserve|deserved) (?:this|it|to live|to be here)"),
    _p(SURVIVOR_GUILT, r"(?:killed|shot|hung|hanged|ate|took his own|took her own|died|suicide|gone)(?: [a-z0-9|]+){0,10} (?:i )?(?:should|could|might as well|wanna|want to) (?:just )?(?:go|follow (?:him|her|them)|join (?:him|her|them)|do the same)(?: too| as well)?(?= \||$)"),
    _p(HOPELESSNESS, r"cant (?:even )?(?:picture|see|imagine) (?:myself|me) (?:at [0-9]+|making it to|living past|next (?:year|month)|alive)"),
    _p(HOPELESSNESS, r"dead man walking"),
    _p(WISH_TO_DIE, r"(?:i )?(?:just )?want (?:it all|it|everything) (?:all )?(?:to be )?over(?! with)(?= \||$)"),
    _p(OVERDOSE, r"(?:stockpile|stash) (?:of (?:pills|meds) )?(?:is )?(?:big|enough|ready|growing)|(?:stockpiling|stashing|hoarding) (?:my |the )?(?:pills|meds|medication)"),
    _p(HARM_TO_OTHERS, r"(?:loaded up|armed) and (?:drove|drive|driving|went) (?:by|past|to) (?:his|her|their) (?:house|place|work)"),
    # --- h11 (bench/data/crisis_h11.jsonl): goodbyes as a pet or a family placed for good,
    # other means as a car steered at traffic or gas that is "painless", survivor guilt as a
    # place with the dead, a gun tasted or bought past a safeguard ---
    # goodbye: a pet handed on with no end date, a pound to be spared, words passed on in Spanish
    _p(GOODBYE, r"(?:take care of|look after|look out for|watch over|keep|feed) my (?:dog|dogs|cat|cats|pets?|horse|bird|pup|puppy)(?: [a-z]+){0,3} for me(?! (?:while|this|for|till|until|tomorrow|on|at|next|saturday|sunday|friday|monday|tuesday|wednesday|thursday|tonight|when|overnight))"),
    _p(GOODBYE, r"(?<![^|] )(?:pls |please |someone |somebody |can someone |can somebody )*(?:take care of|look after) my (?:dog|dogs|cat|cats|pets?|horse|pup|puppy)(?= \||$)"),
    _p(GOODBYE, r"(?:dont|do not|never) let (?:him|her|them|my (?:dog|dogs|cat|cats|pup)) (?:go|end up) (?:to|at|in) the (?:pound|shelter)"),
    _p(GOODBYE, r"make sure (?:[a-z]+ ){1,3}(?:gets|goes|get|go) to my (?:sister|brother|son|daughter|mom|dad|kids|wife|nephew|niece|buddy|ex)(?! (?:on|at|by|for|before|after|this|tomorrow|today))"),
    _p(GOODBYE, r"(?:saying|said|say) goodbye (?:to (?:[a-z]+ ){1,2})?without (?:saying it|them knowing|telling (?:anyone|them|her|him))"),
    _p(GOODBYE, r"(?:whoever|anyone who|whoever it is that) (?:reads|finds|sees) this(?: first)?(?= \||$)"),
    _p(GOODBYE, r"diganle a (?:mis hijos|mi esposa|mi familia|mi mama|mi hija|mi hijo|todos) que (?:los|las|la|lo) (?:quiero|amo|quise)|(?:mi perro|mi gato|mis perros) se (?:queda|va|quedan) con"),
    # other means: a car steered at traffic, gas that is "painless", water walked into for good
    _p(OTHER_MEANS, r"(?:drift|drifting|drifted|swerve|swerving|swerved|veer|veering|veered|steer|steering|steered|jerk|jerking) (?:the wheel |my truck |my car |the truck |the car )?(?:toward|towards|into|at) (?:the |a |an )?(?:semis?|oncoming(?: traffic| lane)?|traffic|trucks|pillars?|trees?|other lane|median|bridge|wall)"),
    _p(OTHER_MEANS, r"(?:let|letting) go of the wheel(?! to)"),
    _p(OTHER_MEANS, r"(?:carbon monoxide|co|helium|nitrogen|exhaust|the gas|gas|hanging|drowning|an overdose|overdosing|od|bleeding out|a bullet|a gun|pills) (?:is|are) (?:supposed to be |meant to be |really |actually |the most |pretty )?(?:painless|quick and painless|peaceful|quick|the easiest way)"),
    _p(OTHER_MEANS, r"(?:walk|walking|walked|swim|swimming|wade|wading) (?:out )?into the (?:lake|river|ocean|sea|water|bay|gulf|surf)(?: [a-z0-9]+){0,6} (?:(?:and )?(?:just )?keep (?:walking|going|swimming)|until|till|til)"),
    _p(OTHER_MEANS, r"(?:is|are|its|thats|theyre) for me(?: \|)? (?:and )?not (?:for )?(?:the |a |my )?(?:balloons?|party|grill|grilling|cookout|camping|welding|garden|yard|barn|boat|range|hunting|deer|target practice|tire swing|tow)(?= \||$)"),
    # survivor guilt: owed to the dead, following them, the job the war did not finish
    _p(SURVIVOR_GUILT, r"owe it to (?:them|him|her|my (?:guys|brothers|buddies|boys|squad|team|platoon)|the (?:guys|boys|fallen)) to (?:go|die|join (?:them|him|her)|follow (?:them|him|her)|be with (?:them|him|her))"),
    _p(SURVIVOR_GUILT, r"(?:ready|want|wanna|going|gonna|time|about|need) to follow (?:him|her|them|my (?:guys|brothers|buddies|boys|buddy|battle buddy|brother|sgt|team))(?= \||$| soon| there| now| too| already)"),
    _p(SURVIVOR_GUILT, r"finish (?:what|the job) (?:it|the ied|the war|they|the enemy|iraq|afghanistan|the blast|the taliban|that rpg|the bomb) (?:started|couldnt|didnt)"),
    _p(SURVIVOR_GUILT, r"(?:supposed|meant) to (?:die|be dead|go|be killed) (?:with|over there with|alongside|next to|beside|in that [a-z]+ with) (?:them|him|her|my [a-z]+|the (?:guys|boys|rest))"),
    _p(SURVIVOR_GUILT, r"(?:im|i am|i was|i should be|i belong) (?:supposed to be |meant to be )?(?:with|in the ground with|up there with|buried with) (?:my (?:guys|brothers|buddies|boys|squad|team|platoon|unit)|the (?:guys|boys|fallen))(?= \||$| now| already)(?!.*(?:reunion|bbq|cookout|party|dinner|game|trip|saturday|sunday|weekend|tonight at))"),
    _p(SURVIVOR_GUILT, r"(?:brothers|guys|team|buddies|squad|platoon|boys|unit|crew)(?: [a-z0-9]+){0,3} (?:are |is |been |keep )?waiting (?:for|on) me(?= \||$| up there| over there| on the other side)(?!.*(?:at the|outside|in the (?:truck|car|lot)|bar|reunion|bbq|cookout|party|dinner|game|range|gym|lunch))"),
    # wish to die: the blast or the bullet that should have finished the job
    _p(WISH_TO_DIE, r"(?:wish|wished|wishing|hope|hoped)(?: that)? (?:the |that )?(?:[a-z]+ ){0,2}(?:had|would have|wouldve|would of|had just) (?:done its job|finished (?:me|the job|me off)|got me|killed me|taken me)"),
    # firearms: the barrel tasted, a gun bought past the safeguard, a round kept with a name
    _p(FIREARM, rf"(?:{_GUN}|barrel|muzzle|steel|metal) (?:tasted|tastes|taste)|(?:tasted|tasting|taste) (?:the |my )?(?:barrel|muzzle|{_GUN})"),
    _p(FIREARM, rf"(?:has|have|got|holding|keeping|took|keeps) (?:my|all my|all of my) (?:guns|rifles|firearms|pistols?|{_GUN})(?: \|)? (?:but|and) (?:i )?(?:just )?(?:bought|got|picked up|found|ordered|borrowed) (?:a |another |a new )?(?:new )?(?:one|gun|pistol|{_GUN})"),
    _p(FIREARM, r"(?:got|have|saved|kept|keeping|saving) (?:a|one|the|my) (?:round|bullet|shell|slug) with my name on it"),
    # pills: not taken and piling up; how many it takes
    _p(OVERDOSE, r"not taking (?:them|it|my [a-z]+|the [a-z]+)(?: [a-z]+){0,3} (?:\| )?(?:and )?(?:theres|there is|got|i have|ive got|i got) (?:a lot|a pile|plenty|a bunch|enough|a stack|a ton)", negatable=False),
    _p(OVERDOSE, rf"how many (?:of (?:these|them|those)|(?:of )?(?:my |these |those |the )?{_PILLS}) (?:does it|would it|will it|do i need to|would i need to|would you need to) take(?! (?:to (?:feel|work|kick|help|start)|for (?:a|the|my) (?:headache|back|pain|fever)))"),
    # burden: a death nobody would notice; direct: not wanting to be here, a mind made up
    _p(BURDEN, r"if i (?:didnt wake up|died|was gone|were gone|disappeared|killed myself|wasnt here|was dead|never woke up)(?: [a-z]+){0,3} (?:nobody|no one|noone)(?: would| will| d)? (?:even )?(?:notice|care|miss me)", negatable=False),
    _p(BURDEN, r"(?:nobody|no one|noone) (?:would|will) (?:even )?(?:notice|care|miss me) if i (?:died|was gone|were gone|didnt wake up|disappeared|wasnt here|was dead|killed myself)", negatable=False),
    _p(SUICIDAL, r"(?:dont|do not|no longer) (?:want|wanna|wana)(?: to)? (?:be here|be alive|be around|exist)(?: anymore| any more| no more| on this earth| in this world)(?! (?:at|in (?:this|the) (?:job|town|class|office|place|house|city|state|program)))", negatable=False),
    _p(SUICIDAL, rf"(?:made up my mind|my mind is made up|decision is made|its decided)(?: \|)? (?:its |it is |it will be )?(?:{_WHEN}|sunday|saturday|friday)(?= \||$)"),
    # harm to others: someone shot if the court locks him up
    _p(HARM_TO_OTHERS, r"(?:somebody|someone|some one|people|a cop|the judge)(?: is| s| are)? (?:gonna|going to|will) (?:get|end up) (?:shot|stabbed)(?= \||$| if| when| i swear)"),
    # the safeguard got round: a key or a combination known, a lie about where the guns are
    _p(FIREARM, r"(?:has|have|hid|hides|holds|holding|keeps|took|changed) (?:the |my )?(?:key|keys|combo|combination|code) (?:to|for) (?:the|my) (?:gun )?safe (?:but|and) (?:i )?(?:bought|got|know|found|figured|guessed)"),
    _p(FIREARM, rf"(?:told|tell|telling|said to) (?:my |the )?[a-z]+ (?:that )?(?:the |my )?(?:{_GUN}|guns|pills|meds) (?:were|was|are|is) (?:gone|at [a-z]+|at my [a-z]+|with [a-z]+|locked up|out of the house)(?: [a-z]+){{0,2}} (?:\| )?(?:but )?(?:it |they |theyre |its |he |she )?(?:isnt|arent|aint|wasnt|werent|theyre in|its in|are in|is in|still)"),
    _p(FIREARM, r"(?:deer stand|tree stand|blind|the woods|(?:the|my) (?:rifle|shotgun|gun))(?: [a-z]+){0,4} (?:with no intention of hunting|but (?:im |i am |i )?(?:not|aint|wont be) (?:gonna |going )?hunting|not (?:to|for) hunt(?:ing)?)"),
    # pills: a script gathered "so i'd have enough", a refill "not to sleep"
    _p(OVERDOSE, rf"(?:{_PILLS}|scripts?|doctors|refills?)(?: [a-z]+){{0,8}} (?:so|until|till) (?:id|i would|i will|ill|i) (?:have|had|got) enough(?= \||$)"),
    _p(OVERDOSE, r"(?<![^|] )(?:and )?not (?:to|for) (?:sleep|sleeping|the pain|pain)(?= \||$)", negatable=False),
    _p(OVERDOSE, r"(?:overdose|overdosing|od|oding) (?:on (?:[a-z]+ ){1,3})?(?:with|and|on) (?:a |the |some )?(?:alcohol|booze|whiskey|vodka|liquor|beer|wine|bourbon|jack|rum|tequila|fifth|bottle)"),
    # other means: how far the fall is
    _p(OTHER_MEANS, r"how (?:far|high|long) (?:the )?(?:fall|drop) (?:is|would be|was)|how far (?:down )?(?:it is|the water is|the ground is) from (?:the )?(?:bridge|roof|ledge|top|overpass|balcony)"),
    # wish to die: death as a relief, going out on one's own terms, no wish for this life
    _p(WISH_TO_DIE, r"(?:death|dying|being dead|not waking up|not existing|the end) (?:sounds|seems|feels|would be|looks|would feel) (?:like )?(?:a |such a )?(?:relief|peaceful|nice|good|better|easier|like freedom)(?= \||$| right now| to me| honestly)"),
    _p(SUICIDAL, r"(?:go|going|went|goes|gonna go) out on my own terms"),
    _p(WISH_TO_DIE, r"(?:dont|do not) want this life(?= \||$| anymore| no more)", negatable=False),
    _p(WISH_TO_DIE, r"mejor (?:me muero|morirme|morir)|mejor si me muero"),
    # goodbye: who gets what over several clauses, passwords sent, a journal left so she understands, nobody lost after
    _p(GOODBYE, r"(?:[a-z]+ )?(?:is|are) getting my (?:truck|car|guns?|rifles?|dog|cat|house|stuff|tools|medals|bike)(?: [a-z|]+){0,9} (?:goes|go|gets|get) to"),
    _p(GOODBYE, r"(?:emailed|texted|sent|gave|left|handed|mailed) (?:my [a-z]+|her|him|them) (?:all )?my (?:passwords|pins?|account numbers|bank info|safe combination|combination|codes)(?!.*(?:house ?sitter|dog ?sitter|babysitter|while (?:im|i am) (?:away|gone|on)|trip|vacation|deploy|surgery|new phone|just in case i forget))"),
    _p(GOODBYE, r"(?:leaving|left|leave) (?:my |a |the )?(?:[a-z]+ ){0,2}(?:for|to) (?:my [a-z]+|her|him|them|you|everyone) so (?:she|he|they|you|everyone|yall) (?:understands?|will understand|knows? why|can understand|gets? it)"),
    _p(GOODBYE, r"(?:isnt|wont be|arent|is not|will not be|wont|doesnt|dont) (?:lost|stuck|left guessing|scrambling|confused) after(?= \||$)", negatable=False),
    _p(GOODBYE, r"funeral (?:home|plot|arrangements?|costs?) (?:[a-z0-9|]+ ){0,5}(?:prepaid|prepay|paid for|paid off|picked out)"),
    _p(GOODBYE, r"(?:cant|cannot|wont|dont) (?:keep|take|bring|need) (?:him|her|them|it|my [a-z]+) (?:[a-z]+ )?where (?:im|i am) going(?= \||$)(?!.*(?:hotel|trip|vacation|deploy|training|apartment|base|no pets|lease|dorm|rehab|treatment))", negatable=False),
    _p(GOODBYE, r"(?<![^|] )(?:this is )?(?:the |my )?last time (?:checking in|check ?in|posting|logging (?:in|on)|writing (?:here|in here|to yall))(?! (?:before|until|till|for (?:a|the|now|awhile)|this (?:week|month)))"),
    _p(GOODBYE, r"(?:dont|do not|wont) need (?:my|any of my|all my) (?:stuff|things|belongings|guns?|truck|tools|medals|car)(?: anymore| any more)?(?: \|)? (?:so )?(?:i )?(?:gave|giving|give|handed|left) (?:it|them|em)", negatable=False),
    _p(OTHER_MEANS, r"(?:in|inside) (?:the|a|my) (?:closed |shut )?garage (?:[a-z]+ ){0,3}(?:and )?(?:leave|left|leaving|keep|run|running|with) (?:the|my) (?:car|truck|engine) (?:running|on)"),
    _p(SURVIVOR_GUILT, r"(?:supposed to|should have|shouldve|should of|was meant to) (?:come|came|gone|go|went) home in a (?:box|bag|casket|coffin|body bag|flag draped)"),
    _p(SURVIVOR_GUILT, r"(?:the ones i lost|the guys i lost|the ones who didnt make it|the dead|the fallen|my fallen|my dead) (?:are|keep|been|is|keeps|kept|started) (?:calling|waiting for|asking for) (?:me|my name|for me)(?= \||$| home| to| over| every)"),
    _p(GOODBYE, r"(?:left|leaving|leave|put) (?:my|the) (?:wedding ring|ring|dog tags|tags|wallet|keys|medals|watch|phone) (?:and|with) (?:a|my) (?:note|letter)"),
    # --- h11c families (bench/data/crisis_h11c.jsonl): shapes, not one note's words ---
    # goodbye: keepsakes marked with who gets them
    _p(GOODBYE, rf"(?:medals|tools|guns|rifles|{_GUN}|stuff|things|watch|ring|flag|knife|knives|books|records|coins|uniform|everything|belongings|dog tags|tags)(?: [a-z0-9]+){{0,6}} (?:with|has|have) (?:my |his |her |their )?(?:[a-z]+s )?names? on (?:it|them|each)(?! for (?:the|my) (?:move|trip|storage|deployment))"),
    _p(GOODBYE, r"(?:boxed|packed|labeled|labelled|tagged|sorted|marked) (?:up )?(?:and (?:labeled|labelled|tagged|marked) )?(?:[a-z0-9]+ ){0,2}for (?:the people|whoever|who|each of|everyone) (?:who |that )?(?:should|gets?|will|needs?|wants?|is getting|are getting)"),
    # other means: up on a ledge or a roof edge, not only standing there
    _p(OTHER_MEANS, r"(?:stepped|step|stepping|climbed|climb|climbing|got|get|getting|went|stood) (?:up )?(?:on|onto|over|up on|out on) (?:the|a|that) (?:edge of the |top of the )?(?:ledge|railing|rail|edge|roof ledge|parapet|wall of the (?:bridge|overpass|parking (?:deck|garage)))(?! (?:of (?:the )?(?:pool|bed|couch|dock|stage|deck)|to (?:fix|clean|change|hang|get)))"),
    # goodbye: who gets which possession, the note's "by the time you read this"
    _p(GOODBYE, rf"(?:sorting|sorted|sort|decided|deciding|figured|figuring|wrote|writing|listed|listing|made a list of|what i want done with) (?:out )?(?:who (?:gets|should get|will get|is getting|can have) (?:the |my |all my |what|which )?(?:{_GUN}|guitars?|guns|rifles|tools|truck|car|medals|stuff|things|watch|ring|dog|cat|collection|records|coins|knives|bikes?|motorcycle|everything|what)(?! (?:on|this|next|for|when|while|tonight|today|tomorrow|first|to|at|in the|after|during|until|till)(?![a-z]))|my (?:things|stuff|belongings|guns|truck|medals|body|ashes))"),
    _p(GOODBYE, r"(?:note|label|tag|sticker|name) on (?:each|every) (?:box|bag|one|thing) (?:saying|with|of) (?:whose|who (?:gets|its for))"),
    _p(GOODBYE, r"by the time (?:you|anyone|anybody|someone|somebody|yall|they|she|he|my [a-z]+) (?:reads?|finds?|sees?|gets?) this(?!.*(?:airport|flight|plane|work|store|gym|surgery|asleep|drill|on the road|shift|on my way|class|meeting|call me|text me|let me know|see (?:you|yall|ya) (?:next|soon|monday|tomorrow)))|(?:if|when) (?:anybody|anyone|somebody|someone)(?: [a-z]+){0,3} (?:reads?|finds?) this later"),
    # indirect: the pain ending on a day; everyone given a rest from the member for good
    _p(SUICIDAL, rf"(?:the pain|my pain|the hurt|the suffering|my suffering) (?:stops|ends|will stop|will end|is over|will be over) (?:on )?{_WHEN}(?= \||$)"),
    _p(BURDEN, r"(?:everyone|everybody|yall|you all|my family|the world|they|she|he)(?: will| ll| is gonna| are gonna| is going to| are going to)? (?:finally )?(?:get|have|gets|has) a (?:break|rest) from me(?= soon| for good| forever| permanently)"),
    # other means: "my plan is" the means
    _p(OTHER_MEANS, rf"my plan is (?:the|a|my|to use (?:the|my)) (?:{_GUN}|bridge|overpass|rope|pills|tracks|cliff|ledge|knife|belt)(?! (?:route|road|way|loop|trail|run|walk|exit|detour|commute|option|cleaning|range|trip)(?![a-z]))"),
    # survivor guilt: not deserving a life the dead did not get; the dead saying come home
    _p(SURVIVOR_GUILT, r"(?:dont|do not|never) deserve(?:d)? to (?:get old|grow old|grow up|see (?:my kids|40|50|30)|have a (?:life|family|future))", negatable=False),
    _p(SURVIVOR_GUILT, r"(?:dead|fallen|late|the ones i lost|ghost of)(?: [a-z]+){0,8} (?:says|said|tells me|told me|telling me|keeps telling me) (?:its|it is|its been) (?:ok|okay|alright|time) to (?:come home|come join|join (?:them|him|us)|come be with)"),
    # --- h11d families (bench/data/crisis_h11d.jsonl): shapes, not one note's words ---
    # not waking: a bedtime that is hoped to be the end, a morning that disappoints
    _p(WISH_TO_DIE, r"(?:hope|hoping|pray|praying|prayed|prayer|wish|wishing|asking|asked|ask) (?:[a-z]+ ){0,2}(?:that )?(?:i |id |ill )?(?:dont|do not|wont|will not|never|not|didnt) (?:to )?(?:come to|come back from (?:it|this|that|the next one)|come out of (?:it|this|surgery|the anesthesia)|open my eyes|get up in the morning|see (?:the )?(?:morning|sunrise|sun come up|tomorrow|another day))(?= \||$| again| tomorrow| ever| this time| tonight| from)", negatable=False),
    _p(WISH_TO_DIE, r"(?:not to|to not|never to|wont) let me (?:wake up|wake|get up|see (?:the )?(?:morning|tomorrow|another day|the sun))"),
    _p(WISH_TO_DIE, r"(?:let down|disappointed|bummed|gutted|upset|pissed|angry|mad|sad|annoyed) (?:[a-z]+ ){0,3}(?:that )?(?:im|i am|i was|i) (?:still )?(?:breathing|alive|here|awake)(?= \||$| again| another| every| in the)"),
    _p(WISH_TO_DIE, r"(?:waking|wake|woke) up (?:at all )?(?:is|was|feels like) (?:the |a )?(?:letdown|let down|disappointment|punishment|curse)"),
    _p(WISH_TO_DIE, r"(?:woke|wake|waking) up (?:again|alive|still alive|still breathing)(?: \|)? (?:i )?(?:wasnt|was not|werent|not) (?:supposed|meant) to"),
    _p(WISH_TO_DIE, r"(?:dont|do not|dont even) (?:want|wanna) (?:tomorrow|the morning|another (?:day|morning)|morning) to come(?= \||$| for me| ever| at all| again)", negatable=False),
    _p(WISH_TO_DIE, r"(?:never|not|dont) (?:hear|need|set) (?:an|my|the|another) alarm (?:again|ever)|(?:hope|hoping|wish) i (?:dont|wont|never) need (?:one|an alarm|it) (?:again|ever|tomorrow)"),
    _p(WISH_TO_DIE, r"if i (?:didnt|did not|never|dont|do not|wouldnt) (?:wake up|get up|wake|open my eyes|make it (?:to|through) (?:morning|tomorrow|the night))(?: [a-z]+){0,4}(?: \|)? (?:that would be|thatd be|that be|id be|it would be|itd be|would be|be|im|i am) (?:alright|all right|ok|okay|fine|good|a relief|nice|great|at peace)"),
    _p(WISH_TO_DIE, r"(?:wish|wishing|hope|hoping|pray|praying)(?: that)? my eyes (?:would |will |to )?(?:just )?(?:stay|stayed|never open|dont open|wouldnt open)(?: shut| closed)?"),
    _p(WISH_TO_DIE, r"(?:wouldnt|would not) (?:really |even |honestly )?mind (?:not|never) (?:waking up|wake up|coming (?:out of|back from|to)|making it (?:through|out|home)|seeing (?:tomorrow|the morning|another))"),
    # a passive wish: a doctor's bad news hoped for, god asked to call one home, death let in
    _p(WISH_TO_DIE, r"(?:hope|hopes|hoping|pray|praying) (?:the )?(?:doctor|doc|scan|biopsy|tests?|results?|mri|ct|labs|bloodwork) (?:[a-z]+ )?(?:finds?|find|shows?|show|comes? back|says?) (?:as |with |that )?(?:something bad|something terminal|the worst|cancer|its terminal|its cancer|its bad|bad|terminal|malignant)(?= \||$| honestly| this time| so| and| at| on| in| from)"),
    _p(WISH_TO_DIE, r"(?:pray|praying|prayed|hope|hoping|wish|wishing|asking|ask|asked|beg|begging) (?:that )?(?:god|the lord|jesus|the man upstairs|he) (?:would |will |to |just )?(?:calls?|takes?|brings?|call|take|bring) me (?:home|up|early|soon|away|now|tonight)(?! when)"),
    _p(WISH_TO_DIE, r"(?:let|letting) (?:it|the (?:cancer|tumor|disease|illness|sickness|water|cold|current|river|drink|booze)|death) (?:just )?(?:take|takes|have|finish|win) me(?= \||$| this time| already| now| finally)"),
    _p(WISH_TO_DIE, r"(?:hoping|hope|hoped|praying|pray) (?:that )?(?:one|it|something|this one|the next one|a round|a bullet|a truck|a car|the plane|the surgery|the chemo|the next (?:job|run|call|fire|mission)) (?:[a-z]+ ){0,2}(?:goes wrong|go wrong|fails|gets me|hits me|ends me|finishes me)(?! for (?:them|him|her|the other))"),
    _p(WISH_TO_DIE, r"(?:hope|hoping|pray|praying|wish|wishing) (?:that )?(?:tonight|today|tomorrow|this night|this|it|its|it is|this is|tonight is) ?(?:is|will be|would be|be|turns out to be)? my last(?: (?:night|day|morning|breath|sunrise))?(?= \||$| on (?:this )?earth| alive)"),
    _p(WISH_TO_DIE, r"(?:ojala|quisiera|espero que) (?:esta noche|hoy|manana) sea (?:la|mi) ultima"),
    _p(WISH_TO_DIE, r"(?:hope|hoping|wish|wishing|pray|praying) (?:that )?(?:i )?(?:get|gets|got) (?:hit|run over|killed|shot|struck|taken out)(?: by| in| on| tonight| soon| already|(?= \||$))|(?:hope|hoping|wish|wishing|pray|praying) (?:that )?something (?:bad )?(?:happens|would happen|will happen) to me"),
    _p(WISH_TO_DIE, r"if i (?:died|die|was gone|were gone|got killed|didnt make it|dropped dead)(?: tomorrow| today| tonight| in my sleep)?(?: [a-z]+){0,3}(?: \|)? (?:id be|i would be|i|that would be|thatd be|itd be|it would be|honestly) (?:ok|okay|fine|alright|at peace|relieved|good|a relief|wouldnt mind|would not mind|wouldnt care)(?= \||$| with (?:it|that))|if i (?:die|died|go|went) in my sleep(?: \|)? (?:so be it|good|fine by me|all the better)"),
    _p(HARM_TO_OTHERS, r"(?:want|wanna|need|gonna|going to|will|ill) (?:see|watch|make) (?:him|her|them|that [a-z]+|my [a-z]+|those [a-z]+) (?:suffer|bleed|beg for (?:his|her|their) life|die|choke)(?= \||$| for| like| the way| slow)"),
    _p(HARM_TO_OTHERS, r"(?:make|making|gonna make|going to make) (?:him|her|them|that [a-z]+|my [a-z]+) disappear(?= \||$| for good| forever| tonight)"),
    _p(WISH_TO_DIE, r"wish (?:it|sleep|the sleep|the night) (?:lasted|would last|could last|went on) forever|(?:dont|do not|cant|cannot) (?:want to |wanna )?face another (?:morning|sunrise)"),
    _p(WISH_TO_DIE, r"(?:think|thinking|thought) (?:a lot |more and more |sometimes )?about (?:not being (?:here|around|alive)|not existing|not waking up|being dead|just being gone|disappearing for good)(?= \||$| anymore| lately| a lot| more| every| all)"),
    _p(HARM_TO_OTHERS, r"(?:plotting|planning|fantasi[sz]ing about|fantasies about|fantasize about|fantasise about|dreaming about|obsessed with|cant stop thinking about) (?:my )?(?:revenge|getting revenge|payback|getting even)(?! (?:in|on) (?:the game|fantasy|madden|the league|the court|the field))"),
    _p(WISH_TO_DIE, r"(?:not waking up|never waking up|not being here|not being around|being dead|dying|being gone) (?:would|will|could|might|would just) (?:fix|solve|end|answer|take care of|settle) (?:a lot|everything|it all|all of it|things|my problems|so much|most of it)"),
    # relapse and a means: a drive hunting for a tree, a blade bought with the bottle
    _p(OTHER_MEANS, r"(?:drove|driving|drive|drives|doing|going|flying|speeding) (?:[a-z0-9]+ ){0,6}(?:looking for|aiming for|hoping for|picking out|at) (?:a |the |that )?(?:tree|pole|wall|semi|pillar|guardrail|overpass|embankment|bridge pillar|concrete barrier)(?!.*(?:christmas|to cut|to chop|farm|lot|to plant|firewood))"),
    _p(SELF_HARM, r"(?:picked up|bought|got|grabbed) (?:a |some |the )?(?:pint|fifth|bottle|handle|case|twelve pack|12 pack) (?:[a-z]+ ){0,2}and (?:a |some |the )?(?:box cutter|razor|razor blades|blades|new blades|knife)(?!.*(?:unpack|unpacking|move|moving|boxes|work|warehouse|packages|carpet|drywall|project|shaving|shave))"),
    # harm to someone else: a threat said as a fact, a hurt not done this time
    _p(HARM_TO_OTHERS, r"(?:set|setting|sets|light|lighting|lit) (?:his|her|their|the|that|my exs) (?:[a-z]+ ){0,2}(?:on fire|ablaze|alight) (?:with|while) (?:him|her|them) (?:inside|in it|in there|asleep|still in)"),
    _p(HARM_TO_OTHERS, r"(?:wait|waiting|gonna wait|going to wait|waited) for (?:him|her|them|that [a-z]+|my [a-z]+) (?:[a-z]+ ){0,6}(?:and )?(?:handle (?:it|him|her|them|this)|settle (?:it|this|things|the score)|finish (?:it|him|her|this)|end (?:it|him|her|this))(?= \||$| once| for good| tonight)"),
    _p(HARM_TO_OTHERS, r"(?:somebody|someone|some one|people)(?: [a-z]+){0,4} (?:is |are |s )?(?:gonna|going to|will|is getting|are getting|getting) (?:get |end up )?(?:hurt|shot|stabbed|bleed|bleeding|killed|dead)(?= \| real| \| i swear| i swear| real talk| tonight| and it wont be me|(?: \|)? (?:and )?(?:i mean it|watch))"),
    _p(HARM_TO_OTHERS, r"(?:somebody|someone|some one)(?: [a-z]+){0,4} (?:is |s )?(?:gonna|going to|will) (?:bleed|die)(?= \||$)"),
    _p(HARM_TO_OTHERS, rf"if (?:my|he|she|they|that|the) (?:[a-z]+ ){{0,6}}(?:again |one more time )?(?:somebody|someone|some one|people|hes|shes|theyre|he|she|they)(?: is| are| s)? (?:gonna|going to|will|is getting|are getting|getting) (?:get |end up )?(?:hurt|shot|stabbed|bleed|killed|dead){_HAZARD}"),
    _p(HARM_TO_OTHERS, r"(?:next|whoever|anybody|anyone|the next) (?:[a-z]+ ){0,6}(?:is |s |will be |gonna be |going to be )?(?:leaving|leave|leaves|going home|go home|goes home|ends up|end up|carried out|getting carried out) (?:of here |out of here )?(?:in|on) (?:an ambulance|a body bag|a bag|a box|a stretcher|a casket)"),
    _p(HARM_TO_OTHERS, r"(?:hes|shes|theyre|he is|she is|they are|youre|you are) lucky i (?:didnt|did not|havent|have not) (?:kill|killed|break|broke|snap|snapped|shoot|shot|stab|stabbed|choke|choked|strangle|strangled|beat|hurt|bash|smash|put) (?:him|her|them|you|his|her|their|your) ?(?:neck|head|face|jaw|skull|in the ground|in the hospital|down)?", negatable=False),
    _p(HARM_TO_OTHERS, r"(?:lesson|beating|what im gonna do|what i do|what happens next|what i have planned)(?: [a-z]+){0,3} (?:he|she|they|you|that [a-z]+) (?:wont|will not|wouldnt|aint gonna|isnt gonna|is not gonna) (?:live|survive)", negatable=False),
    _p(HARM_TO_OTHERS, r"(?:a list|my list|the list) of (?:people|everyone|those|names|the ones) (?:[a-z]+ ){0,4}(?:and )?(?:im|i am|ill|i will|gonna|going to) (?:go|going|start|starting|work|working) (?:down|through) it"),
)  # fmt: skip

# ----- co-occurrence: a means or a sign, and a cue, anywhere in the note -----
# The patterns above enumerate phrasings; these rules generalise. A rule fires when one of
# its terms (a lethal means, a possession given away, a future denied) and one of its cues
# (a state, an intent, readiness or distress) both appear, neither negated, unless the note
# also holds a benign frame for that term (range, hunting, safe storage, pharmacy ...). A
# strong cue ("in my mouth", "one more time", "just need one") counts whatever the frame.
# Recall comes first: a false alarm costs one kind message, a miss can cost a life.


@dataclass(frozen=True)
class _CoOccurrence:
    category: str
    terms: re.Pattern[str]
    cues: re.Pattern[str]
    strong_cues: re.Pattern[str] | None
    benign: re.Pattern[str] | None


def _words(body: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![^ ])(?:{body})(?![^ ])")


def _co(category: str, terms: str, cues: str, strong: str = "", benign: str = "") -> _CoOccurrence:
    return _CoOccurrence(
        category,
        _words(terms),
        _words(cues),
        _words(strong) if strong else None,
        _words(benign) if benign else None,
    )


_FIREARM_TERMS = (
    rf"{_GUN}|rounds?|bullets?|ammo|mag|magazine|trigger|chamber|12 gauge|20 gauge|30 06|308|12ga|ak|ak47|"
    r"beretta|sig|ruger|remington|mossberg|winchester|smith and wesson|desert eagle|firearms?|pistola|escopeta|the 9|my 9|the nine"
)
# What someone does with a gun, or feels beside it, when it is not for sport or work.
_FIREARM_CUES = (
    r"loaded|loading|load (?:it|one|the|my)|racked|chambered|cocked|safety off|sat|sit|sitting|sits|lap|"
    r"in my hands?|next to me|by (?:the|my) bed|nightstand|under my pillow|on the (?:couch|dresser|table|seat|bed)|"
    r"in (?:the|my) (?:truck|car|cab)|the woods|held|holding|hold it|holding it|kept it|keep it|kept (?:it |the |my )?close|"
    r"(?:picked|picking|pick) (?:it |them )?up|(?:took|take|taking|pulled|pulling|got|get|getting) (?:it |them |the [a-z0-9]+ |my [a-z0-9]+ )?out|"
    r"(?:got|get|took|take|getting) (?:it|them|my [a-z0-9]+|the [a-z0-9]+) back|back from|"
    r"tonight|this weekend|tomorrow|saturday|sunday|friday|when (?:shes|hes|nobody|theyre|everyone)|alone|"
    r"decided|decide|plan|planned|planning|ready|done|tired|cant|nobody|no one|(?:going to|gonna|will|to|ill) use|which (?:round|one|gun)|"
    r"only (?:thing|answer|way|option)|answer|fix (?:it|everything|this)|end (?:it|this)|for me|"
    r"think about it|thinking|keep thinking|looking at|staring|stare|stared|cry|cried|crying|wont need|sorry|over with|make it stop|"
    r"bought another|all i (?:can )?think about|on my mind|right now|drunk|drinking again|wasted|hammered|high right now|relapsed|using again"
)
_FIREARM_STRONG = (
    r"in my mouth|under my chin|to my head|at my head|my temple|last time|one more time|for good|figured out|where id|how id|"
    r"(?:just |only )?need one|nobody would|goodbye|end it|not for (?:the range|hunting|protection|deer|the house)|"
    r"for me not|fix everything|only answer|only way|way out|ticket out|finger (?:on|near) the trigger|when im ready|cargada|voy a usar|under my pillow|in bed with me|"
    r"(?:i )?(?:dont|do not|never) (?:even )?hunt|no intention of hunting|not (?:going )?hunting|(?:last|only) friend|"
    r"aint (?:gonna be |going )?hunting|not gonna hunt|wont be hunting|safety off|sat with it|"
    r"(?:from|out of) the (?:gun )?safe (?:to|into) (?:under )?my (?:bed|pillow|nightstand|room|bedroom|truck|car|lap)|"
    r"(?:dont|do not) (?:even )?(?:like|own|shoot) guns|"
    r"(?:took|take|taking) the (?:trigger |cable )?lock off(?! (?:[a-z0-9]+ ){0,3}(?:to|for) (?:clean|cleaning|the range|hunting|oil|inspect))"
)
_FIREARM_BENIGN = (
    r"range|ranges|clean|cleaned|cleaning|cleaning kit|oil|oiled|hunt|hunts|hunting|hunter|hunters|deer|duck|ducks|turkey|elk|"
    r"pheasant|dove|hog|season|blind|deer stand|reloading|reload|reloaded|dies|brass|powder|primers|handloads?|handloading|"
    r"coyotes?|chickens|varmints?|predators?|critters?|raccoons?|possums?|gun show|gunsmith|holster|optic|scope|sighted|zero|zeroed|groups?|"
    r"qualification|qualified|qual|class|course|training|instructor|ccw|concealed carry|prices|sold|selling|sell|trade|"
    r"fundraiser|trap|skeet|clays|competition|match|safe storage|(?:in|into|to|back in|back into|locked in|locked up in) (?:the|my|a|his|her) (?:gun )?safe|"
    r"gun safe|locked|lock|locks|lockbox|lock box|key|code|storage|to hold|(?:hold|holding|keep|keeping) (?:it|them|onto them|on to them) for|"
    r"for safety|safety(?! off)|until im|until i|call of duty|cod|halo|fortnite|video games?|game|games|xbox|playstation|ps5|"
    r"golf|back nine|front nine|tee|fairway|birdie|par|putt|paintball|airsoft|nerf|movie|museum|counselor|therapist|workshop|"
    r"lethal means|safety plan|bought a new|new (?:optic|scope|mag|magazine|barrel|holster|sights|stock|grip|rifle|gun|pistol|shotgun)|"
    r"so happy|love it|love my|memories|first time|heirloom|(?:is|are|been|hes|shes|theyre) (?:holding|keeping)|"
    r"for (?:protection|home defense|self defense)|home defense|self defense|carry|edc|paying|price|cost|expensive|shortage|"
    r"campo de tiro|cazar|guardada|bajo llave"
)
_PILLS_TERMS = (
    rf"{_PILLS}|(?:pill|med|medicine|prescription) bottles?|pill bottles|whole bottle|entire bottle|medicine cabinet|pastillas|"
    r"pills are|tabs|sleepers|(?:take|took|taking|swallow|swallowed|swallowing) (?:all|every one) of them|"
    r"all of them in my hands?|(?:more|way more) than prescribed"
)
_PILLS_CUES = (
    r"all|every|whole|entire|enough|saved|saving|save|stash|stashed|stashing|stockpile|stockpiled|stockpiling|hoard|hoarding|"
    r"counted|counting|lined up|handful|at once|extra|double|mix|mixing|mixed|booze|alcohol|whiskey|vodka|jack|beer|liquor|"
    r"wine|fifth|bourbon|rum|tequila|tonight|done|ready|decided|plan|planning|nobody|glovebox|in my hands?|swallow|swallowed|"
    r"swallowing|down them|laid down|lay down|finally|bag|ziploc|hidden|hide|hiding|full|right now|guardadas|juntando|todas|esta noche|"
    r"(?:[0-9]+|thirty|sixty|ninety) days (?:of|worth)|wild turkey|crown|fireball|jim beam|jameson|titos|everclear|shoebox|pile|piling up|"
    r"a handle|most of a|a fifth"
)
_PILLS_STRONG = (
    r"on purpose|to see what happens|(?:more|way more) than (?:prescribed|i should|the doctor)|not wake|wont wake|never wake|dont wake|sleep forever|end it|"
    r"(?:should|would|will) do it|enough to|all at once|whole bottle|entire bottle|every pill|take them all"
)
_PILLS_BENIGN = (
    r"(?<!than )prescribed|as directed|as prescribed|pharmacy|pharmacist|refill|refills|refilled|doc|doctor|doctors|clinic|"
    r"provider|psychiatrist|nurse|organizer|on time|every morning|with (?:breakfast|dinner|lunch|food)|like (?:im|i am) supposed to|"
    r"like always|like usual|take back|turned in|dropped off|disposal|lockbox|locked|key|dose|dosage|side effects|snacks|"
    r"headache|cold|flu|allergy|allergies|vitamins?|remembered|in a row|streak|money|mail order|copay|insurance|"
    r"got some rest|some sleep|slept (?:well|good|great|better|through)|sleep better|(?:a|one) sleeping pill|"
    r"pickup|pick up|ready for|before bed|bedtime|como me (?:dijo|indicaron)|alarm|reminder|at [0-9]+|every night|every day|"
    r"daily|twice|blood work|labs|started on|pump|new med|sent|shipped|mailed|delivered|"
    r"na|aa|speaker|talked about|news|documentary|awareness|narcan|test strips|epidemic|overdoses|deaths"
)
_OTHER_MEANS_TERMS = (
    r"rope|ropes|noose|belt|extension cord|knot|beam|rafters?|bridge|overpass|tracks|train|railroad|ledge|cliff|"
    r"exhaust|hose|charcoal|(?:car|truck|engine)s? (?:is )?running|knife|razor|blade|roof|parking garage|top floor"
)
_OTHER_MEANS_CUES = (
    r"tonight|this weekend|decided|plan|planned|ready|done|tired|cant|nobody|figured|which|the spot|picked out|"
    r"strong enough|weight|tied|tie|hung|hang|hanging|bought|got a|in (?:the|my) truck|in the back|keep|kept|waited|waiting|"
    r"stood|standing|sat|sitting|looked|looking|edge|over the (?:edge|side|rail|railing)|jump|jumping|for a long time|an hour|at night|midnight|"
    r"[0-9]+ ?am|timed|comes (?:by|through)|horn|door (?:is )?(?:shut|down|closed)|garage|taped|windows|deep|nerve|"
    r"what its for|know what|end it|stopping|thinking about|keep thinking|keep driving|drove to|drive to|walked (?:out )?to|went (?:up )?to|"
    r"closet|hook|tree"
)
_OTHER_MEANS_STRONG = (
    r"wrists?|my neck|hold my weight|strong enough|not stopping|end it|nobody would|for good|last time|the spot|"
    r"the nerve|what its for|(?:go|went|going) over the (?:edge|side|rail|railing)|almost went over|looked down|looking down|let go|door (?:is )?(?:shut|down|closed)"
)
_OTHER_MEANS_BENIGN = (
    r"tire swing|swing|camping|camp|climb|climbing|boat|fishing|fish|pier|kayak|canoe|swim|swimming|my run|on my run|jog|jogging|"
    r"crossed|commute|(?:bridge|overpass) route|(?:skip|avoid|beat) (?:the )?traffic|detour|toll|(?:to|from|for|at|after) work|late|delayed|model train|tow|towing|moving|haul|tie down|ratchet|strap|straps|seat ?belt|"
    r"belt (?:broke|buckle|loop)|bike|cooking|kitchen|chef|butcher|carve|carving|whittle|whittling|pocket ?knife|knife set|"
    r"sharpener|battery|mechanic|oil change|tune up|warm up|warming up|ice|shingles|gutters|roofer|roofing|ride|rode|lights|park|nice|view|sunset|"
    r"pretty|beautiful|photos|pictures|see my|visit|hunting knife|deer season|hunting season|fireworks|parade|concert|game|"
    r"muffler|leak|leaking|detector|repair|repaired|(?:fix|fixing|fixed) the"
)
_GIVE_AWAY_TERMS = (
    r"(?:gave|giving|give|given|handed|handing) (?:it all|everything|all of it|most of it|all my stuff|all my things) away|"
    r"(?:gave|giving|give|given|handed|handing|signed|signing|left|leaving|mailed|mailing|sent|sending|shipped|passed|passing) (?:away |over |down |on )?(?:all |most )?(?:of )?my (?:[a-z0-9]+ )?"
    r"(?:dog|dogs|cat|cats|truck|car|guns?|rifles?|pistols?|shotguns?|collection|medals?|tools|guitar|watch|knife|knives|stuff|things|"
    r"belongings|title|ring|flag|coins?|uniform|bike|motorcycle|everything|records|truck title)"
)
_GIVE_AWAY_CUES = (
    r"away|over|to my (?:son|daughter|kids?|nephew|niece|sister|brother|mom|dad|buddy|wife|neighbor|neighbour|friend|cousin|old [a-z]+)|"
    r"wont need|wont be needing|where im going|dont need|not going to need|today|this week|and my|nothing left"
)
_GIVE_AWAY_BENIGN = (
    r"goodwill|donate|donated|donating|marketplace|craigslist|sold|sale|yard sale|garage sale|to hold|for safety|"
    r"hold (?:it|them|onto)|until|borrow|lend|lent|birthday|christmas|gift|present|graduation|moving|move|fix|repair|"
    r"while i|trip|vacation|deploy|deployment|old (?:clothes|couch|furniture|shoes|books|toys|tv)|counselor|therapist|"
    r"safety plan|keys to|car keys|since|new one|got a new|upgrade|license|learners permit|permit|first car|"
    r"needed a ride|needs a ride|for work|to work|for school|to school|(?:he|she|they) needed|needed one|needs one|birthday present"
)
_AFFAIRS_TERMS = (
    r"(?:my|the|a|new) will(?= \||$| and| is| signed| updated| done| finished)|(?:updated|wrote|signed|made|finished) (?:my|a|the) will|"
    r"beneficiar(?:y|ies)|life insurance|passwords?|debts?|power of attorney|funeral (?:plans|arrangements)|obituary|pension|"
    r"signed (?:the |my )?(?:[a-z]+ ){1,2}over"
)
_AFFAIRS_CUES = (
    r"in order|updated|signed|paid (?:off|up)|made sure|sorted|its time|time|today|this week|ready|if anything happens|"
    r"when im gone|after im gone|done|finally|at peace|peace|drawer|to my (?:son|daughter|wife|kids)|now i can (?:rest|go)"
)
_AFFAIRS_BENIGN = (
    r"move|moving|baby|new job|estate planning class|open enrollment|hr|benefits fair|deploy|deployment|refinance|"
    r"mortgage|taxes?|car insurance|renters|quote|credit card|student loans?|budget|class|counselor|lawyer said|reset|"
    r"license|learners permit|first car|sold|buyer|trade in|surgery|came through|paid out|through (?:the va|work|my job)|"
    r"my (?:dad|mom|father|mother|grandpa|grandma|uncle|aunt)s|when (?:my|his|her) (?:dad|mom|father|mother|uncle|grandpa|grandma) (?:died|passed)"
)
_LAST_TERMS = r"last|final"
_LAST_CUES = (
    r"(?:time|check ?in|checkin|message|post|note|words) (?:youll|you will|anyone will|ill|i will|im (?:going|gonna)|for me|from me)|"
    r"(?:check ?in|checkin|message|post|note) (?:for me|from me|ever|\|)|hear from me|see me|time (?:ill|i will|youll)"
)
# A last time that is about being late, a trip or an order, not a farewell.
_LAST_BENIGN = r"late|forget|forgot|skip|skipping|miss|missed|order|ordering|eat|eating|buy|buying|lol|haha|lmao|vacation|trip|before (?:my|the|i|we)|until|till|for (?:a while|now|the (?:week|month|year|season))"
_NO_FUTURE_TERMS = (
    r"(?:wont|will not|not going to|not gonna|never going to|dont think ill|dont think i will|dont think im going to|wouldnt) be (?:here|around|alive)|"
    r"(?:wont|will not|not going to|not gonna|dont think ill|dont think i will) (?:make it|last) (?:to|till|until|through|past|much longer|another)|"
    r"(?:theres|there is|its|see|i see) no point|no point (?:in|to) (?:going on|trying|living|anything|any of|it|keep|me|being)|no point (?:anymore|\|)|"
    r"whats the point|what is the point|no future|end of (?:the road|the line|my rope)|"
    r"out of (?:options|reasons|chances|fight)|(?:no|any) reasons? (?:left|to (?:keep|stay|go on|get up))|"
    r"cant see (?:a future|myself making it|myself here|myself still)|nothing left (?:for me|here|to give)"
)
_NO_FUTURE_CUES = (
    r"for (?:me|christmas|the next|my|the end|next)|next|by|much longer|long|anymore|going on|living|trying|any of this|"
    r"anything|it all|this life|keep|guy like me|for a|a future|myself|options|reasons|time|road|line|rope|done|"
    r"graduation|court|hearing|month|week|year|spring|summer|fall|winter|birthday|\|"
)
_NO_FUTURE_BENIGN = (
    r"vacation|trip|out of town|travel|traveling|travelling|work|shift|training|visiting|my moms|my dads|wedding|"
    r"camping|fishing|hunting|drill|moving|sick|surgery|appointment|busy|because|cause|cuz|since|traffic|car|ride|"
    r"flat|stuck|overtime|kid|kids|argue|arguing|debate|meeting is|cancelled|canceled|game|(?:in|at|with) (?:this|that|my|the) (?:job|company|town|place|unit|career|field)|looking for (?:something|a new|another)|the point of (?:the|this) (?:meeting|form|class|paperwork|rule)"
)
_WISH_TERMS = (
    r"(?:wouldnt|would not|dont|do not) (?:really |even )?(?:mind|care) if|(?:id|i would|i) (?:welcome|wouldnt fight|would not fight)|"
    r"(?:wouldnt|would not|i wont|wont) (?:really |even |honestly )?be (?:mad|upset|sad|sorry|disappointed|bothered|angry|heartbroken) if|(?:id|i would) (?:honestly |kinda )?be (?:relieved|grateful|glad|thankful) if|"
    r"(?:it )?(?:wouldnt|would not) be (?:the worst thing|so bad|that bad|a bad thing|terrible)(?: [a-z]+){0,2} if"
)
_WISH_CUES = (
    r"die|died|dying|dead|death|killed|kill me|hit me|took me out|takes me|take me|ended|stopped|crash|crashed|cancer|"
    r"wake up|woke up|attack|bullet|forever|for good|struck|run over|ran me over|over with|tumou?r|disease|illness|"
    r"(?:cancer|tumou?r) (?:wins|won|comes back|came back|spreads)|heart (?:gives|gave) out|hit by|struck by|a bus|(?:plane|chopper) (?:goes|went) down|"
    r"(?:heart|body|liver|lungs) (?:just )?(?:quit|quits|stopped|stops|failed|fails)|didnt come back|never came back|wasnt here|wasnt around|was gone"
)
_WISH_BENIGN = r"lol|haha|lmao|rained|rain|snow|day off|overtime|pizza|nap|weekend"
_READY_TO_GO_TERMS = r"(?:ready|time) to (?:go|leave)(?= \|)|(?<![^|] )its time(?= \|)"
_READY_TO_GO_CUES = r"peace|done|tired|goodbye|bye|love you|love them|love her|love him|take care|sorry|for good|its time|nothing left|cant do this|cant anymore"
_READY_TO_GO_BENIGN = r"meeting|court|group|work|trip|home|packed|bags|gym|store|game|party|school|ride|drive|truck is"
_REJOIN_TERMS = (
    r"(?:going to|gonna|ready to|want to|time to|about to|will) (?:join|be with|see) (?:the rest of )?(?:my|the) (?:guys|brothers|team|buddies|boys|squad|platoon|fallen|friends)|"
    r"(?:my )?(?:brothers|guys|team|buddies|squad|platoon|boys) (?:are )?waiting (?:for|on) me|"
    r"joining (?:the rest of )?(?:my|the) (?:guys|brothers|team|buddies|boys|squad|platoon|fallen)"
)
_REJOIN_CUES = r"soon|again|ready|waiting|\|"
_REJOIN_BENIGN = (
    r"reunion|cookout|bbq|barbecue|event|party|dinner|practice|work|game|bar|at the|for the|on (?:saturday|sunday|friday)|"
    r"this weekend|next week|next month|ride|trip|flight|memorial day|veterans day|parade|"
    r"truck|car|lot|outside|gym|lunch|range|parking|downstairs|front|lobby"
)

# Letters left for the family: where they will be found, one for each of them, why.
_LETTERS_TERMS = r"letters|(?:a|the|my) letter(?= \||$| for| to| on| in| under| and| is)"
_LETTERS_CUES = (
    r"one for|each of (?:my|them|you)|(?:for|to) (?:my (?:kids|wife|son|daughter|mom|dad|family|brother|sister|husband|parents|girls|boys))|"
    r"(?:where|so) (?:theyll|shell|hell|they will|she will|he will|they can|she can|he can|theyd|she|he|they) (?:find|read|know|understand)|"
    r"in the (?:desk|drawer|desk drawer|glovebox|nightstand|safe|bible)|on the (?:counter|table|kitchen table|dresser|nightstand|fridge|pillow)|"
    r"finished|sealed|to open|when im gone|after im gone|explain|why i did|forgive me|goodbye|couldnt get it"
)
_LETTERS_BENIGN = (
    r"basic|boot ?camp|bootcamp|college|congress(?:man|woman)?|senator|cover letter|recommendation|reference|resignation|birthday|christmas|"
    r"thank you|thanks|pen ?pal|deployed|deployment|overseas|va|claim|appeal|judge|court|probation|parole|lawyer|attorney|employer|landlord|"
    r"school|teachers?|thank yous|end of (?:the )?year|santa|camp|rehab|jail|prison|inmate|stamps|valentines?|anniversary|wedding|acceptance|job|hiring|scholarship|"
    r"insurance company|bill|bank|irs|dmv|newsletter|amends|step|steps|sponsor|apology|apologize|therapist|counselor|assignment|homework|grandkids someday|"
    r"found|old|grandpa|grandma|grandfathers|grandmothers|from (?:my|his|her)|his letters|her letters|read|reading"
)
# Water as a means: a strong cue only ("deep enough", "nobody would see me go in").
_WATER_TERMS = r"river|lake|ocean|the sea|the water|pier|dam|reservoir|the bay|the surf|the current"
_WATER_STRONG = (
    r"(?:nobody|no one) would (?:see|find|know|notice)|not come (?:back|up|out)|never come (?:back|up|out)|keep (?:walking|swimming|going)|"
    r"stay (?:down|under)|sink to the bottom|weights? (?:on|in|around)|rocks in|drown|drowning|go under|hypothermia|freeze to death|"
    r"see me go in|walk into (?:it|the water)|let (?:it|the water|the current|the cold) take me|end it"
)
# Survivor guilt phrased as a death wish: the dead and the one who lived, then a debt to
# settle, a turn to go, a wish not to keep living.
_SURVIVOR_TERMS = (
    r"should (?:have|of) been me|shouldve been me|should be me|should be my name|it should be me|(?:died|killed|taken|hit) instead of me|(?:meant|intended) for me|"
    r"why (?:did )?(?:i|me) (?:make|made|come|came|get|got|survive|survived)|why (?:am i|im) (?:still )?(?:here|alive|breathing)|survivors? guilt|"
    r"(?:my|the|our|his) (?:guys|brothers|squad|fire team|buddies|boys|platoon|unit|crew|marines|soldiers) (?:didnt make it|didnt come (?:home|back)|never came (?:home|back)|died|are gone|are dead|got killed|all died|came home in|are in arlington|in arlington)|"
    r"(?:when|and|but|while) (?:my|the|our) (?:guys|brothers|squad|fire team|buddies|boys|platoon|unit|crew) didnt|"
    r"(?:all|they) (?:came|went) home (?:in|under) (?:flags|boxes|a flag|caskets)|came back alone|(?:not fair|wrong|unfair) (?:that )?i (?:got to|get to|made it|came) (?:come )?(?:home|back)|"
    r"(?:made it|came) home and (?:[a-z]+ )?didnt|i lived and (?:they|he|she) didnt|(?:lost|buried) (?:my whole|all my|half my|most of my) (?:team|squad|platoon|unit|guys|brothers)"
)
_SURVIVOR_CUES = (
    r"fix (?:that|it|this)|correct(?:ing)? (?:that|it|this|the mistake)|(?:make|set) (?:it|that|things) right|even (?:it|things) out|"
    r"pa(?:y|id) (?:it|that) back|my turn|join (?:them|him)|be with (?:them|him)|meet (?:them|him)|catch up (?:to|with) them|owe (?:them|him|it|my life)|"
    r"give (?:it|my life) back|(?:dont|do not) (?:want|wanna|deserve) to (?:be here|keep|live|be alive|be breathing|breathe|wake)|dont want to be|"
    r"dont get to (?:keep|live|be)|end it|go too|where they are|finish(?:ing)? (?:it|the job|what)|in the ground|wish i (?:had )?died|should (?:have )?died|"
    r"(?:want|wanna|ready) to (?:die|go|be dead)|be dead too|cant live with (?:it|this|that|myself)|(?:feels like|is) a crime|cant keep (?:living|going|doing)|(?:im|i am) just late(?= \||$)"
)
_SURVIVOR_STRONG = (
    r"my turn|join (?:them|him)|be with (?:them|him)|meet (?:them|him)|give (?:it|my life) back|where they are|"
    r"in the ground (?:with|beside|next to)|fix (?:that|it)|correct(?:ing)? (?:that|it)|pa(?:y|id) (?:it|that) back|finish(?:ing)? what"
)
_SURVIVOR_BENIGN = (
    r"memorial|ceremony|visit(?:ed|ing)? (?:their|his|her)|their families|his family|his mom|her family|honou?r (?:them|him)|"
    r"live for (?:them|him)|for them now|carry (?:them|him)|tattoo|ruck|5k|wreath|reunion|counselor|therapist|therapy|group helps|"
    r"group helped|talked (?:to|with)|proud|names|playing|game|movie|book|episode"
)
# Burden as a payout: the family better off with the insurance than with the member.
_PAYOUT_TERMS = r"life insurance|sgli|vgli|insurance (?:money|check|payout)|(?:the|a) payout|death benefits?|survivor benefits"
_PAYOUT_CUES = (
    r"than (?:with )?me|better off|do better|be better|be ok|be okay|be fine|be set|finally|without me|if i (?:died|was gone|were gone|go)|"
    r"when i (?:die|go|am gone|m gone)|once im gone|worth more|set for life"
)
_PAYOUT_BENIGN = (
    r"open enrollment|quotes?|premiums?|agent|policy review|signed up|sign up|enroll|enrolled|hr|benefits fair|mortgage|rates|cheaper|compare|"
    r"shopping|my (?:dad|mom|father|mother|grandpa|grandma|uncle)s|when (?:my|his|her) (?:dad|mom|father|mother|uncle|grandpa|grandma) died|funeral|estate"
)
# Street drugs used to die: a bag stronger than usual, shooting up all that is left.
_STREET_DRUG_TERMS = (
    r"heroin|fent|fentanyl|fetty|carfentanil|speedball|hot shot|m30s|pressies|(?:shoot|shooting|shot) up(?! (?:the|a|my|this|that|his|her))|"
    r"(?:bag|batch|stuff) (?:stronger|of dope|of fent)|stronger (?:bag|batch|stuff|dope)"
)
_STREET_DRUG_CUES = (
    r"(?:more|stronger) than (?:i )?(?:usual|usually|normal|normally)|too much|enough to|dont care if|whatever happens|take me|"
    r"not wake|dont wake|wont wake|never wake|all of it|everything (?:i have|left|i got)|the whole|at once|tonight|end it|for good|od|overdose|on purpose|"
    r"last (?:one|time|shot|hit)|alone|make sure"
)
_STREET_DRUG_STRONG = r"dont care if|whatever happens|take me|not wake|dont wake|wont wake|never wake|enough to|on purpose|end it|make sure i"
_STREET_DRUG_BENIGN = (
    r"narcan|sober|clean|meeting|sponsor|rehab|detox|treatment|methadone|suboxone|test strips|strips|program|counselor|relapse|news|documentary|"
    r"crisis in|epidemic|na|aa|speaker|talked about|warning|awareness|class|training|kit|county|overdoses|deaths"
)

# A relapse with danger in it: the drinking or using again, and a death wished or not feared,
# a means at hand, being alone on purpose. A relapse with a sponsor called, a day count reset
# or detox booked is the everyday road of recovery (no cue here fires on it).
_RELAPSE_TERMS = (
    r"relapsed|relapse|relapsing|picked up again|(?:using|drinking|shooting up|smoking) again|back on the (?:bottle|needle|pipe|dope|sauce|pills)|"
    r"back to (?:the bottle|drinking|using)|fell off the wagon|slipped(?: up)?(?= \||$| again| tonight| last night| after)|lost my (?:chip|sobriety|clean time|day count)|"
    r"blew (?:my )?(?:[0-9]+ days|sobriety|clean time|[a-z]+ (?:days|months|years) sober)|(?:drunk|high|wasted|loaded) (?:right now|again|tonight)"
)
_RELAPSE_STRONG = (
    r"(?:dont|do not) care (?:if|whether|what happens)|whatever happens|(?:kills?|finish(?:es)?) me|takes? me (?:out|for good|away)|end it|"
    r"done (?:living|fighting|with (?:it all|everything|life))|done trying(?= \||$| anymore| to live)|better off (?:without me|dead|if i)|(?:dont|do not) want to (?:wake|live|be here|come back)|"
    r"not (?:scared|afraid) of (?:it|dying|what it does|the dose)|alone on purpose|so (?:nobody|no one) (?:can|will|would)|rather be dead|(?:want|wanna) to die|"
    r"(?:gun|glock|pistol|rifle|shotgun|rope|noose|bridge|rafters) (?:is |are )?(?:out|loaded|on the|in my|next to)|no reason to (?:live|stay|keep going|be here|go on|try)"
)
_RELAPSE_BENIGN = r"sponsor|meeting|detox|rehab|outpatient|counselor|therapist|day one|starting over|reset|told (?:my|the|her|him)|called (?:my|the)|back on (?:track|my plan)"

CO_OCCURRENCES: tuple[_CoOccurrence, ...] = (
    _co(FIREARM, _FIREARM_TERMS, _FIREARM_CUES, _FIREARM_STRONG, _FIREARM_BENIGN),
    _co(OVERDOSE, _PILLS_TERMS, _PILLS_CUES, _PILLS_STRONG, _PILLS_BENIGN),
    _co(
        OTHER_MEANS, _OTHER_MEANS_TERMS, _OTHER_MEANS_CUES, _OTHER_MEANS_STRONG, _OTHER_MEANS_BENIGN
    ),
    _co(
        GOODBYE,
        _GIVE_AWAY_TERMS,
        _GIVE_AWAY_CUES,
        "wont need|wont be needing|where im going|(?:dont|wont) need (?:any of )?(?:it|them) (?:anymore|where|now)|dont need any of (?:it|them)",
        _GIVE_AWAY_BENIGN,
    ),
    _co(
        GOODBYE,
        _AFFAIRS_TERMS,
        _AFFAIRS_CUES,
        "if anything happens|when im gone|after im gone|at peace|its time",
        _AFFAIRS_BENIGN,
    ),
    _co(GOODBYE, _LAST_TERMS, _LAST_CUES, "hear from me|see me", _LAST_BENIGN),
    _co(GOODBYE, _READY_TO_GO_TERMS, _READY_TO_GO_CUES, "", _READY_TO_GO_BENIGN),
    _co(HOPELESSNESS, _NO_FUTURE_TERMS, _NO_FUTURE_CUES, "", _NO_FUTURE_BENIGN),
    _co(WISH_TO_DIE, _WISH_TERMS, _WISH_CUES, "", _WISH_BENIGN),
    _co(SURVIVOR_GUILT, _REJOIN_TERMS, _REJOIN_CUES, "waiting for me", _REJOIN_BENIGN),
    _co(GOODBYE, _LETTERS_TERMS, _LETTERS_CUES, "", _LETTERS_BENIGN),
    _co(OTHER_MEANS, _WATER_TERMS, _WATER_STRONG, _WATER_STRONG),
    _co(SURVIVOR_GUILT, _SURVIVOR_TERMS, _SURVIVOR_CUES, _SURVIVOR_STRONG, _SURVIVOR_BENIGN),
    _co(BURDEN, _PAYOUT_TERMS, _PAYOUT_CUES, "", _PAYOUT_BENIGN),
    _co(OVERDOSE, _STREET_DRUG_TERMS, _STREET_DRUG_CUES, _STREET_DRUG_STRONG, _STREET_DRUG_BENIGN),
    _co(SUICIDAL, _RELAPSE_TERMS, _RELAPSE_STRONG, _RELAPSE_STRONG, _RELAPSE_BENIGN),
)


def _first_unnegated(
    regex: re.Pattern[str], text: str, *, skip: tuple[int, int] = (0, 0)
) -> re.Match[str] | None:
    """The first match of `regex` outside `skip` (the term's own words) that no negation
    scopes over. A term's own negation ("won't be around") does not negate its cues."""
    for found in regex.finditer(text):
        start, end = found.span()
        if skip[0] <= start < skip[1] and end <= skip[1]:
            continue
        before = text[skip[1] : start] if skip[1] <= start else text[:start]
        if not _negated(before.split()):
            return found
    return None


def _co_occurring(
    text: str, passing: list[int], harmless: tuple[tuple[int, int], ...] = ()
) -> tuple[list[Match], bool]:
    """The co-occurrence rules that fire, and whether one was kept calm by a benign frame.
    `passing`: the rules whose terms may be in the note (the screen's "terms")."""
    text += " |"  # the note's end closes its last clause, as "|" closes the others
    matches: list[Match] = []
    framed = False
    for at in passing:
        rule = CO_OCCURRENCES[at]
        term = _first_unnegated(rule.terms, text)
        if term is None:
            continue
        # A term inside a harmless frame ("the end of my rope with this printer") is not one.
        if any(begin <= term.start() < stop for begin, stop in harmless):
            continue
        span = term.span()
        strong = rule.strong_cues and _first_unnegated(rule.strong_cues, text, skip=span)
        cue = strong or _first_unnegated(rule.cues, text, skip=span)
        if not cue:
            continue
        if not strong and rule.benign and _first_unnegated(rule.benign, text):
            framed = True
            continue
        matches.append(Match(rule.category, f"{term.group()} ... {cue.group()}".strip()))
    return matches, framed


# Harmless uses of crisis words: a match that starts inside one of these is set aside.
HARMLESS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(body)
    for body in (
        r"suicid(?:e|al) (?:prevention|awareness|hotline|lifeline|crisis line|squad|watch|rates?|"
        r"statistics|stats|training|class|walk|ruck|coordinator|booth|month|bombers?|mission|"
        r"survivors?|loss|risk|screening|assessment|ideation training|intervention|first aid|"
        r"safety plan|postvention|research|numbers)",
        r"(?:died|death|dead|loss|lost(?: [a-z0-9]+){0,3}|losing(?: [a-z0-9]+){0,3}) (?:by|to|from|of) suicide",
        r"(?:his|her|their|buddys|friends|brothers) suicide",
        r"(?:veteran|veterans|military|vet|soldier|army|marine) suicides?",
        r"suicidal (?:thoughts |ideation )?(?:are|is|have been|has been) (?:gone|over|behind me|rare)",
        r"prevencion del? suicidio",
        r"self ?harm (?:awareness|prevention)",
        rf"(?:took|take|taking) (?:all )?(?:of )?my (?:[a-z]+ )?{_PILLS} (?:[a-z0-9]+ ){{0,2}}(?:like (?:usual|normal|always|i should|im supposed to|prescribed)|as (?:usual|prescribed|directed)|on time|with (?:breakfast|dinner|food))",
        r"(?<![a-z])[0-9]+ ?kms?(?![a-z])",
        r"(?:giving|gave|give|given|handed|handing|left|leaving) (?:[a-z0-9]+ ){0,8}(?:to hold|for safety|for safe ?keeping|to keep (?:for|until|while))",
        r"(?:wrote|write|writing|written|left) (?:[a-z0-9]+ ){0,8}(?:birthday|christmas|graduation|wedding(?! ring)|anniversary|valentines)",
        r"(?:(?:put|putting|got|getting|get|have|had) (?:all )?my )?affairs in order (?:for|before) (?:the |our |my |a )?(?:[a-z]+ )?(?:move|surgery|deployment|trip|baby|new job|wedding|deploy|operation|procedure)",
        r"(?:i )?(?:thought|felt like|swear|swore) i was (?:gonna|going to|about to) die",
        r"(?:hang|hanging|hung) (?:up )?(?:the |a |some |new |my |our |up )*(?:shelf|shelves|pictures?|photos?|frames?|curtains?|blinds|lights|christmas lights|drywall|sheetrock|cabinets?|tv|mirror|flag|laundry|clothes|hammock|door)",
        r"pull(?:ed|ing|s)? the trigger on (?:a|an|the|that|this|my|buying|selling|it)(?! (?:me|myself))",
        r"(?:saving|saved|save) up (?:to (?:pay|buy|get|fix|visit)|for (?:a|an|the|my|our|christmas|rent|bills))",
        r"(?:if|when) (?:someone|somebody|a buddy|a friend|a person|people|they|anyone|a vet|a veteran|a member) (?:mentions?|says?|talks? about|brings? up|starts? talking about)(?: [a-z0-9]+){0,4}",
        r"(?:since|after) my (?:last |past |first )?suicid[a-z]*",
        r"my (?:past|previous|old|former) suicid[a-z]*",
        r"(?:cpr|first aid|training|class|course) (?:but )?for suicide",
        r"over my dead body",
        r"(?:wrote|write|writing|written|made|did|signed|updated|finished) (?:out )?(?:my|a|our) will(?= .*(?:lawyer|attorney|jag|legal|baby|estate planning|everyone should|wedding|new house|mortgage))",
        r"(?:im|i am|i feel|feel|i) (?:not|no longer) (?:a |such a )?(?:burden|weight)(?: to (?:anyone|anybody|my [a-z]+|them|her|him))? (?:anymore|any more|now|these days)",
        r"(?:whole|entire|full) (?:bottle|box|pack|bag|jar|can|carton|case|gallon) of (?:water|soda|pop|gatorade|juice|milk|ketchup|hot sauce|shampoo|lotion|sunscreen|cereal|chips|cookies|crackers|candy|popcorn|coke|pepsi|coffee|tea|syrup|dog food|cat food|bleach to clean|cleaner on the)",
        r"(?:(?:im |i am )?(?:going to|gonna|ill|i will|want to|wanna|about to|could|might) )?(?:kill|strangle|murder|choke|shoot|hurt|smack|slap) whoever (?:left|ate|took|parked|drank|used|broke|keeps|moved|stole|finished|scheduled|decided|invented|designed|put)",
        r"(?:a|one|two|three|four|five|six|[0-9]+) (?:year|years) ago(?= .*(?:this year|today i|these days))",
        r"(?:so|too) (?:tired|hungry|bored|sleepy|embarrassed|full|happy|excited|sore|cold|hot) (?:i|that i) (?:could|might|would|wanna|want to) (?:just )?die",
        r"(?:at )?(?:the )?end of my rope (?:with|over|about) (?:this|the|my|that|these|those)",
        r"(?:giving|gave|give|given|handing|handed) away (?:all |some |most )?(?:of )?(?:my|our|the|his|her) (?:old |spare |extra |outgrown |kids |babys )?(?:[a-z]+ )?(?:couch|sofa|clothes|furniture|crib|stroller|books|toys|boots|shoes|tv|bed|mattress|desk|table|chairs?|dresser|lawn ?mower|treadmill|dishes|baby stuff|tickets?)",
        r"(?:wrote|write|writing|written|sent|send) (?:a |some )?(?:letters?|notes?) (?:to|for) (?:[a-z0-9]+ ){1,3}(?:at|in) (?:basic|boot ?camp|bootcamp|camp|college|training|the academy|jail|rehab)",
        # Things given away with an everyday reason: a move, a sale, a newer one, room made.
        r"(?:giving|gave|give|given|handing|handed) away (?:[a-z0-9]+ ){0,6}(?=.*(?:(?:since|for|before|after) (?:the|our|my) move|since (?:we|i) moved|(?:were|we are|im|i am) moving (?:to|out|house|in|across)|garage sale|yard sale|goodwill|marketplace|donat|to make room|outgrew|upgraded|got a new one|bought a new one))",
        r"(?:asked|asks|asking) (?:me )?(?:if|about|whether)(?: [a-z0-9]+){0,10}(?=.*(?:im safe|i am safe|honestly im not|and im not|i said no|(?:he|she|they) said no|told (?:her|him|them|me) no|im fine|no thoughts))",
    )
)

# A crisis told as past and resolved ("back in 2019 I was suicidal every day; haven't felt
# that way in a long time"): a note with a past frame and a sign of recovery, and nothing
# that puts the crisis in the present, is set aside whole.
PAST_FRAME = re.compile(
    r"(?<![^ ])(?:used to|back in (?:[0-9]{4}|the day|[0-9]{2})|back then|back when|at my (?:worst|lowest)|"
    r"my (?:lowest|darkest|worst) (?:point|time|days?|year|stretch|night)|when i (?:was|first|got out|got home|got back)|there was a time|"
    r"(?:years|months) ago|(?:in|since) (?:19|20)[0-9]{2}|(?:in|since) [0-9]{2}(?= |$)|i remember|told my story|(?:sharing|share|telling|tell|told) (?:my|our) story|in the past|before i (?:got help|got sober|started)|"
    r"a long time ago|long ago|(?:a|one) year ago|(?<![0-9] )year ago|last year|there was a (?:night|time|day|stretch|year|period|point|winter|summer)|at one point|"
    r"when i first|(?:after|during) my (?:divorce|deployment|discharge|first deployment|second deployment|injury)|"
    r"(?:ive|i have) been through (?:the|some) (?:dark|worst|bad)|my worst year|(?:that|it) was (?:then|years ago|a long time ago|[a-z0-9]+ (?:years|months) ago)|"
    r"(?:[0-9]+|a|two|three|four|five|six|seven|eight|nine|ten|a few|a couple|couple|few) (?:yrs|years?|months?) ago|"
    r"once(?= \||$)|(?:for )?most of my (?:20s|30s|twenties|thirties|life)|i had a (?:rough|dark|bad) (?:patch|stretch|time|year)|"
    r"the (?:time|night|day|year) i (?:almost|nearly|tried|attempted|wanted|stood|sat|had)|its been a long time|(?:my|the) attempt|i survived|"
    r"i thought|i was (?:suicidal|in the psych|going to|gonna|ready)|the night i got|(?:was|been) [a-z0-9]+ (?:years|yrs) since|"
    r"last (?:winter|spring|summer|fall|autumn|christmas|thanksgiving)|(?:[0-9]+|a|two|three|four|five|six|a few|a couple|couple|few|some) (?:yrs|years?|months?) back|years back|"
    r"(?:[0-9]+|a|one|two|three|four|five|six|seven|eight|nine|ten|a few|a couple|couple|few|some) (?:winters?|summers?|springs?|falls|autumns?|christmases|birthdays|deployments) (?:ago|back)|"
    r"(?:a|one|two|over a|almost a|nearly a) decades? (?:ago|back)|my first (?:year|months?|winter|summer) (?:home|out|back|after)|"
    r"(?<![^|] )once (?!(?:im|i|its|it|they|you|we|she|he|everything|the|all|my|this|that|a|an|every|in|more|again|or|twice|per)(?![^ ]))[a-z]+|i once|"
    r"(?:after|during) (?:iraq|afghanistan|the war|vietnam|my (?:tours?|tbi|accident|wreck|arrest)|the (?:army|marines|navy|service))|"
    r"(?:its been|been|it has been|its|it is|[0-9]+|[a-z]+) (?:[a-z0-9]+ )?(?:days|weeks|months|years|yrs) since|"
    r"(?:shared|told|talked about|spoke about|opened up about|wrote about) (?:[a-z]+ ){0,3}(?:how|when|the (?:night|time|day)) i|"
    r"(?:[a-z0-9]+ )(?:years|months) out from|(?:since|after) my (?:attempt|overdose|od|hospital stay|psych stay|stay on the ward))(?![^ ])"
)
RECOVERED = re.compile(
    r"(?<![^ ])(?:now i (?:have|wake up|make|am|get|go|work|run|coach|help|drive|live|know|recognize|call|teach|mentor|volunteer|love|enjoy)|"
    r"now (?:im|i am) (?:[a-z]+ )?(?:good|ok|okay|fine|happy|sober|clean|better|in school|a (?:peer|dad|mentor|coach|nurse))|now its (?:good|better|gone|fine|at)|i know now|"
    r"(?:doing|feel|feeling|im|i am) (?:so |really |much |a lot |pretty )?(?:good|better|great|hopeful|strong|safe|grateful|proud|happy|ok|okay|fine|thriving)|"
    r"proud|glad|grateful|thankful|sober|clean|recovery|better place|thoughts (?:are|were) gone|"
    r"(?:havent|have not|hasnt) (?:felt|thought|had)|celebrated|behind me|depression talking|hopeful|got help|made it through|"
    r"in a (?:good|better|much better|great) (?:place|spot)|changed (?:that|everything|my life)|still here and|stuck around|"
    r"glad i (?:stuck|stayed|called|reached|told|asked|did)|today i|these days i|(?:years|months|days|year|month|yrs) (?:sober|clean)|chip|"
    r"(?:called|texted|reached out to) (?:the )?(?:crisis line|988|vcl|veterans crisis line|my sponsor|a buddy|the va)|"
    r"(?:group|therapy|counseling|meds|medication|treatment|program|the va|my wife|she|he) (?:helped|saved|changed)|not anymore|no longer|sleep fine|"
    r"i was wrong|know that now|(?:called|texted) 988|and im here|im (?:still )?here (?:today|now)|im here|helping other|"
    r"this year (?:i|im)|peer mentor|peer support|so glad|happy now|life is good|way better|long gone|(?:is|are) (?:long )?gone|"
    r"faded|thriving|burned (?:them|it|em)|flushed|saved me|proved me wrong|want me to live|love (?:it|life|my life)|"
    r"(?:good|new) (?:job|wife|life|dog)|got (?:a|my) (?:new|first) job|in school|busy with|laugh about|"
    r"my (?:counselor|therapist|doc|doctor|sponsor|pastor|chaplain|wife|husband|kids|family|buddy|brother|sister|peer mentor) (?:helped|saved|changed|showed|got me)|"
    r"(?:they|she|he) (?:showed|proved) me|got (?:my|the) (?:dog|dogs|cat|cats|kids|life|job|license|family) back|"
    r"now i (?:dont|never) miss|still (?:grateful|glad|sober|clean|kicking|going strong|thankful)|how far (?:ive|i have|i) come|(?:come|came) a long way|"
    r"(?:got|pulled|saw|brought) me (?:through|back)|it gets better|(?:im|i am) (?:living )?proof|(?:[a-z0-9]+ )(?:years|months) later (?:im|i am|i have|i)|"
    r"not (?:me|who i am) (?:anymore|now)|(?:a|someone) different (?:man|person|guy) now|graduat(?:ed|ion)|shook my hand|"
    r"(?:dont|do not|never|no longer) (?:feel|think) (?:that way|like that)(?: anymore| now| these days)?|(?:happy|grateful|thankful|lucky|blessed) to be (?:alive|here)|"
    r"(?:that chapter|that part of my life) is (?:closed|over|done)|(?:been|stayed|im) safe (?:for|since|now)|on the other side of (?:it|that)|"
    r"(?:now|today|these days) (?:im|i am|i feel|life is|things are|its|it is|were|we are|im doing|i am doing)(?: [a-z0-9]+){0,2} (?:happy|good|ok|okay|fine|well|better|stable|healthy)(?! (?:with|about) )|"
    r"now and (?:happy|healthy|stable|sober|doing (?:well|good|great))|(?:doing|feel|feeling|living|life is) (?:[a-z0-9]+ ){0,2}(?:happy|good|ok|okay|fine|well|better|stable|healthy) (?:now|today|these days))(?![^ ])"
)
IN_THE_PRESENT = re.compile(
    r"(?<![^ ])(?:still(?! here| standing| around and| alive and| thinking about it but| grateful| glad| sober| clean| kicking| going strong| thankful)|again|tonight|right now|lately|this week|cant stop|coming back|came back|want to die|wanna die|"
    r"its back|back again|this time|starting again|(?:is|its|it is|sits|sitting|stays|kept|keep it) loaded|loaded (?:on|in|by|under|next)|in reach|"
    r"(?<!was )(?<!had )(?:a|one|the|my) plan(?! for| was| used to)|why (?:stick around|bother|keep going|keep trying)|now i know it (?:wont|will never)|now (?:i|im) (?:think|thinking|want|wanna|have (?:a|the|one) plan)|(?:in|on) my lap|out of the safe|(?:is|its) (?:right )?(?:here|on the nightstand|in the truck|under my pillow|by my bed)|"
    r"not anymore(?= \| (?:[a-z]+ ){0,3}(?:gun|pistol|rifle|pills|rope|knife))|(?:just )?want (?:it|this|everything) (?:to be )?(?:over|to end|to stop)|cant do this|"
    r"(?:ok|okay|fine|at peace|good|alright) (?:with|about) (?:dying|death|it ending|not waking up|being dead))(?![^ ])"
)


# A resolve never to be back there is no sign of the present: "i never want to feel that
# again" does not put the crisis back in it, as "its back again" does.
NEVER_AGAIN = re.compile(
    r"(?<![^ ])(?:never|not ever|wont ever|dont ever)(?: [a-z]+){0,6} again(?![^ ])"
)


def _told_as_past(text: str) -> bool:
    return bool(
        PAST_FRAME.search(text)
        and RECOVERED.search(text)
        and not IN_THE_PRESENT.search(NEVER_AGAIN.sub("", text))
    )


# A note that tells of helping someone else in crisis ("my buddy said he wanted to die, sat
# with him till morning", "how do I help a friend who says he's a burden", "took the suicide
# prevention training") is set aside whole, unless it carries the writer's own crisis too
# ("my buddy shot himself and I think I should go too").
SOMEONE_ELSE = re.compile(
    r"(?<![^ ])(?:my (?:buddy|buddys|battle buddy|friend|friends|brother|brothers|sister|cousin|cousins|son|daughter|dad|father|mom|mother|uncle|neighbor|neighbors|roommate|wife|husband|old (?:squad leader|roommate|platoon sgt|sgt)|ex)|"
    r"a (?:buddy|friend|guy|vet|veteran|member|soldier|marine|coworker)|one of (?:the|my) guys|(?:he|she|they) (?:said|says|told|keeps|kept|has|had|was|is|wants|called|posted)|"
    r"(?:him|her|them)|sgt [a-z]+|(?:hes|shes|theyre))(?![^ ])"
)
HELPING = re.compile(
    r"(?<![^ ])(?:sat with|sitting with|stayed (?:with|on the phone)|talked (?:[a-z]+ ){1,2}down|called (?:988|911|the line|the vcl|the crisis line)|"
    r"(?:drove|took|got|get|getting|bring|brought|taking) (?:[a-z]+ ){0,2}(?:to the (?:va|er|hospital|pharmacy)|help|to call)|(?:checked|check|checking) on (?:him|her|them|my|a|the guys|his|people|your|each other)|"
    r"worried about (?:him|her|them|my|a|his|the|one|some)|how do i (?:help|bring|talk|ask|get)|held (?:[a-z]+ ){0,2}(?:guns|rifle|pistol|pills|meds)|(?:holding|hold|took|take|taking|keeping|keep) (?:onto |on to )?(?:his|her|their|my [a-z]+s|[a-z]+s) (?:guns|rifles?|pistols?|shotguns?|pills|meds|keys)|"
    r"safety plan|(?:prevention|awareness|qpr|ask care escort|mental health first aid) (?:training|class|booth|walk)|training|class|volunteer(?:ing)?|peer support specialist|"
    r"(?:texted|called) (?:him|her|them)|we (?:found|called|got|drove|all)|hes safe|shes safe|(?:he|she)s (?:stable|alive|ok|safe)|with (?:him|her) on the line|got (?:him|her) (?:help|to)|"
    r"warning signs|documentary|service|memorial|proud of (?:him|her)|in time|the line together|promised to call|"
    r"helped (?:a|my|the|him|her|them|this)|got (?:him|her|them) (?:a|an|into|in|some|seen|checked|admitted|a bed|a room)|"
    r"(?:hes|shes|theyre|he is|she is|they are) (?:in the hospital|getting help|in treatment|inpatient|doing better|better now|seeing someone)|"
    r"(?:she|he|we|i) found (?:him|her|them)|(?:he|she|they) (?:was|is|were|are) (?:ok|okay|fine|safe|alright)|drove over|i mentor|i sponsor|"
    r"(?:going|went|go|come|came|coming) with (?:him|her|them) to|i called (?:him|her|them|and)|"
    r"asked (?:him|her|them|my [a-z]+|a [a-z]+)(?: [a-z]+){0,2} (?:if|whether)|(?:hes|shes|theyre) doing (?:ok|okay|good|alright|fine)|"
    r"(?:we|i) talked (?:all night|till|until|for hours|it out|it through)|talked (?:to|with) (?:him|her|them) (?:all night|for hours|till|until)|"
    r"(?:walked|drove|took|brought|got|rode with) (?:him|her) (?:to|into|over to|down to) (?:the|a|an|his|her|detox|rehab|treatment)|"
    r"we (?:flushed|tossed|got rid of|locked up|disposed of|dumped) (?:them|it|the [a-z]+|his [a-z]+|her [a-z]+)|(?:stay|staying|stays) with (?:us|me) (?:for|till|until|a while)|"
    r"(?:him|her|them) (?:stay|staying) with (?:us|me))(?![^ ])"
)
OWN_CRISIS = re.compile(
    r"(?<![^ ])(?:i (?:want|wanna|need) to (?:die|end it|go|join|be dead|kill myself|do it)|i (?:should|could) go too|wish (?:it was|it were|i was|id|i had) (?:me|dead|died|gone)|"
    r"(?:ill|im) (?:be )?(?:the )?next|me too|do the same|join (?:him|her|them)|i have the (?:gun|pills|rope)|check every box|"
    r"(?:kill|hurt|hang|shoot|cut) myself|i (?:want|wanna|need|wish i could) (?:to )?be with (?:him|her|them)|i should (?:be|have been) (?:next|with them|with him|dead)|i keep (?:thinking|picturing|looking)|(?:i|im) (?:am )?(?:thinking|think) (?:about|of) (?:it|doing it|ending|joining|the same)|my (?:gun|pistol|rifle|glock|shotgun|pills|rope|knife)(?! (?:is|are) (?:at|with) )|(?:wont|will not) (?:be )?need(?:ing)? (?:them|it|em|those)|i (?:dont|do not) want to (?:live|be here|wake up)|my turn|same way|feel the same)(?![^ ])"
)


def _about_someone_else(text: str) -> bool:
    return bool(SOMEONE_ELSE.search(text) and HELPING.search(text) and not OWN_CRISIS.search(text))


# ----- negation scope -----

NEGATIONS: frozenset[str] = frozenset(
    {
        "not", "never", "no", "dont", "didnt", "doesnt", "wont", "wouldnt", "isnt", "arent",
        "wasnt", "werent", "havent", "hasnt", "hadnt", "cant", "cannot", "couldnt", "shouldnt",
        "nor", "without", "longer", "stopped", "nunca", "jamas", "zero",
    }
)  # fmt: skip
# Negations that scope over the next word only: "i stopped eating to punish myself" does
# not negate "punish myself"; "i stopped hurting myself" does.
ADJACENT_NEGATIONS: frozenset[str] = frozenset({"stopped", "without"})
# "can't stop wanting to die" is not a negation.
NEGATION_UNDONE_BY: frozenset[str] = frozenset({"stop", "help", "shake", "quit"})
# A negation does not reach past these: a new clause, or another subject
# ("I don't know why I want to die").
CLAUSE_BREAKS: frozenset[str] = frozenset(
    {"|", "but", "though", "although", "however", "yet", "except", "and", "so", "because",
     "cause", "cuz", "pero"}
)  # fmt: skip
SUBJECTS: frozenset[str] = frozenset(
    {"i", "im", "ive", "id", "ill", "he", "she", "they", "we", "you", "hes", "shes", "theyre",
     "yo"}
)  # fmt: skip
NEGATION_WINDOW = 5


def _negated(before: list[str]) -> bool:
    """Does a negation in the words just before a match scope over it? "used to" does,
    anywhere in the clause ("I used to think my family would be better off without me")."""
    for steps, index in enumerate(range(len(before) - 1, -1, -1)):
        word = before[index]
        if word in CLAUSE_BREAKS or word in SUBJECTS:
            return False
        following = before[index + 1] if index + 1 < len(before) else ""
        if word == "used" and following == "to":
            return True
        if word in ADJACENT_NEGATIONS and steps > 0:
            continue
        if steps < NEGATION_WINDOW and word in NEGATIONS:
            return following not in NEGATION_UNDONE_BY
    return False


# ----- normalising and mending typos -----

# Key words whose misspellings matter, mended by the fuzzy step.
FUZZY_TARGETS: tuple[str, ...] = (
    "suicide", "suicidal", "myself", "overdose", "overdosing", "overdosed", "unalive",
    "unaliving", "goodbye", "goodbyes", "burden", "anymore", "everyone", "everybody",
    "better", "without", "nothing", "deserve", "tomorrow", "forever", "sewerslide",
    "hanging", "pistol", "shotgun", "loaded", "revolver", "bullet", "trigger", "wrists", "living",
    "alive", "letters", "wanting", "killing", "hurting", "sleeping", "future", "reason",
    "existing", "disappear", "should", "shouldve", "deserve", "hopeless", "worthless",
)  # fmt: skip
SHORT_TARGETS: tuple[str, ...] = ("die", "dead", "kill", "life", "live", "want", "wake", "rope")
# Short words with a letter dropped, spelt out: a rule would mend "dad" into "dead".
SHORT_TYPOS: dict[str, str] = {
    "slef": "self",
    "sefl": "self",
    "lfe": "life",
    "lif": "life",
    "alve": "alive",
    "aliv": "alive",
    "alie": "alive",
}
# Real words one edit away from a key word, which must not be "mended" into it.
NOT_TYPOS: frozenset[str] = frozenset(
    {"hunting", "waiting", "loving", "giving", "bitter", "butter", "batter", "billet",
     "alike", "letter", "shoulder", "lief", "evil", "veil", "wade", "wave", "lift"}
)  # fmt: skip
_WORD = re.compile(r"[a-z]+")
KNOWN_WORDS: frozenset[str] = frozenset(
    word
    for regex in (
        *(pattern.regex for pattern in PATTERNS),
        *(rule.terms for rule in CO_OCCURRENCES),
        *(rule.cues for rule in CO_OCCURRENCES),
        *(rule.strong_cues for rule in CO_OCCURRENCES if rule.strong_cues),
        *(rule.benign for rule in CO_OCCURRENCES if rule.benign),
    )
    for word in _WORD.findall(regex.pattern)
    if len(word) > 1
)
_TARGETS_BY_INITIAL: dict[str, tuple[str, ...]] = {
    initial: tuple(word for word in FUZZY_TARGETS if word[0] == initial)
    for initial in {word[0] for word in FUZZY_TARGETS}
}

_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_APOSTROPHES = re.compile(r"['\u2019\u02bc`\u00b4]")
_LOOK_ALIKES = {
    "!": "i",
    "1": "i",
    "|": "i",
    "@": "a",
    "4": "a",
    "0": "o",
    "3": "e",
    "5": "s",
    "$": "s",
}
_LOOK_ALIKE = re.compile(r"(?<=[a-z])[!1|@4035$](?=[a-z])")
_CLAUSE = re.compile(r"[.;:?!,\n\r()\[\]\"\u201c\u201d\u2026\u2014\u2013]+|\s-+\s|\|")
# ".45", ".308": a calibre, not the end of a clause.
_CALIBRE = re.compile(r"(?<![a-z0-9])\.(?=[0-9])")
_TOKEN = re.compile(r"[a-z0-9]+|\|")
_REPEATS = re.compile(r"([a-z])\1{2,}")


@lru_cache(maxsize=8192)
def _mend(token: str) -> str:
    """The key word a mistyped token stands for, or the token itself."""
    if token in KNOWN_WORDS or token in NOT_TYPOS or not token.isalpha():
        return token
    size = len(token)
    if size >= 5:
        limit = 1 if size <= 7 else 2
        best, best_distance = token, limit + 1
        for word in _TARGETS_BY_INITIAL.get(token[0], ()):
            distance = OSA.distance(token, word, score_cutoff=limit)
            if distance < best_distance:
                best, best_distance = word, distance
        return best
    if token in SHORT_TYPOS:
        return SHORT_TYPOS[token]
    if size >= 3:
        # Short words: only two neighbouring letters swapped ("lfie", "wnat").
        for word in SHORT_TARGETS:
            swapped = len(word) == size and sorted(word) == sorted(token)
            if swapped and OSA.distance(token, word, score_cutoff=1) == 1:
                return word
    return token


def normalise(text: str) -> str:
    """The note as the patterns read it: lower-case words and "|" between clauses."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(char for char in folded if not unicodedata.combining(char)).casefold()
    folded = _ZERO_WIDTH.sub("", folded)
    folded = _APOSTROPHES.sub("", folded)
    folded = _LOOK_ALIKE.sub(lambda found: _LOOK_ALIKES[found.group()], folded)
    folded = _REPEATS.sub(r"\1\1", folded)
    folded = _CALIBRE.sub("", folded)
    folded = _CLAUSE.sub(" | ", folded)
    return " ".join(_mend(token) for token in _TOKEN.findall(folded))


def _lexicon(text: str) -> tuple[list[Match], bool, bool]:
    """The patterns and co-occurrence rules that match the normalised note, and whether a
    match was set aside as negated or harmless."""
    # The regexes that may match the note: the others could not have. Screened with the
    # " |" that the co-occurrence rules add, as more text only lets more of them run.
    passing = _SCREEN.passing(text + " |")
    harmless = [found.span() for at in passing["harmless"] for found in HARMLESS[at].finditer(text)]
    matches: list[Match] = []
    spans: list[tuple[int, int]] = []
    # A harmless frame is a calm reading of its own, whatever it set aside.
    set_aside = bool(harmless)
    # The looser fallback patterns run last, and only where nothing else matched.
    for at in passing["patterns"]:
        pattern = _BY_FALLBACK[at]
        for found in pattern.regex.finditer(text):
            start, end = found.span()
            if any(begin <= start < stop for begin, stop in harmless):
                set_aside = True
                continue
            if pattern.fallback and any(start < stop and begin < end for begin, stop in spans):
                continue
            if pattern.negatable and _negated(text[:start].split()):
                set_aside = True
                continue
            matches.append(Match(pattern.category, found.group()))
            spans.append((start, end))
            break
    fired = {match.category for match in matches}
    co_occurring, framed = _co_occurring(text, passing["terms"], tuple(harmless))
    matches.extend(match for match in co_occurring if match.category not in fired)
    # A whole note told as past and resolved, or about helping someone else, is set aside
    # whether or not a pattern matched: the model does not get it either.
    if _told_as_past(text) or _about_someone_else(text):
        return [], True, framed
    return matches, set_aside, framed


_BY_FALLBACK = tuple(sorted(PATTERNS, key=lambda pattern: pattern.fallback))
# Built once, at import, from the compiled regexes (screen.py).
_SCREEN = screen.Screen(
    patterns=(pattern.regex for pattern in _BY_FALLBACK),
    harmless=HARMLESS,
    terms=(rule.terms for rule in CO_OCCURRENCES),
)


def without_negations(text: str) -> str:
    """The normalised note with its negation words left out."""
    return " ".join(word for word in text.split() if word not in NEGATIONS)


def calmed_by_negation(model: crisis_model.Model, text: str, *, score: float | None = None) -> bool:
    """Does a negation word make this note calmer in the model's eyes? Then the model's
    higher veto threshold applies ("I hope I don't die on the drive": without "don't" it
    scores higher). A negation that is part of the crisis ("I don't want to wake up",
    "nobody would notice": without it the note scores lower) keeps the usual threshold.
    `score`: the note's own score, where it is known already."""
    if NEGATIONS.isdisjoint(text.split()):
        return False
    return model.score(without_negations(text)) > (model.score(text) if score is None else score)


def assess(note: str | None, *, use_model: bool = True) -> Assessment:
    """Which crisis patterns the note matches, negated and harmless uses set aside; where
    none does, the learned stage's verdict (lexicon OR model). `use_model=False` is the
    lexicon alone.

    The lexicon's calm readings veto the model where that is safe: a note whose pattern
    match the lexicon set aside ("I'm not suicidal", "suicide prevention training", a
    crisis told as past and resolved) is not given to the model at all (no crisis note of
    the training parts is lost that way), and a note that a negation word makes calmer ("I
    hope I don't die on the drive") needs the model's higher veto threshold."""
    if not note:
        return Assessment(False, ())
    text = normalise(note)
    matches, set_aside, framed = _lexicon(text)
    score = None
    asked = use_model and not matches and not set_aside and crisis_model.speaks_on(text)
    model = crisis_model.load() if asked else None
    if model is not None:
        score = model.score(text)
        vetoed = framed or calmed_by_negation(model, text, score=score)
        if score >= (model.veto_threshold if vetoed else model.threshold):
            matches.append(Match(LEARNED, f"model score {score:.2f}"))
    phrases = tuple(dict.fromkeys(match.phrase for match in matches))
    return Assessment(bool(matches), phrases, tuple(matches), set_aside, score, framed)


def crisis_in(*fields: str | None) -> bool:
    """Whether the fields of one form read like a crisis, each alone or all together: an
    overdose plan split over a form ("all my pills" as the medication, "tonight so I can
    sleep forever" as the note) is one sentence to the member who wrote it. Joined in the
    form's order, with a space, as they would be read."""
    written = [field for field in fields if field and field.strip()]
    if any(assess(field).crisis for field in written):
        return True
    return len(written) > 1 and assess(" ".join(written)).crisis
