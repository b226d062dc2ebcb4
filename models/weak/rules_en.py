"""Weak-labelling rules for English international news (AG News `World`).

AG News files every foreign story of 2004 under one section, `World`: wars,
talks, elections, hurricanes and trials alike. Mapped to `politics` whole,
it taught the English model that a typhoon is politics. These rules decide
the topic instead, as models/weak/rules.py does for Chinese international
news; a story no rule matches is `politics` (foreign current affairs).

A rule is a regular expression (Python `re`, case-insensitive) over the
headline and, for `LEAD_LABELS`, the item's sentence as well. Every
matching rule adds its label; the most specific come first. Precision
against hand labels: models/weak/measure.py (its figures are in
models/news-topics-en/README.md).
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import rules  # noqa: E402  (matching and ranking shared with the Chinese rules)

# label -> regular expressions, tried on the headline.
RULES = [
    ("diplomacy", [
        r"\b(talks|summit|envoys?|ambassadors?|embass(y|ies)|diplomat\w*|"
        r"foreign (minister|secretary|ministry|policy)|secretary of state|"
        r"sanctions?|treaty|accords?|pact|(?-i:UN|U\.N\.)|United Nations|"
        r"Security Council|(?-i:NATO|EU|APEC|G-?8|ASEAN|AU|IAEA|NPT)|"
        r"European Union|African Union|bilateral|ties|relations|"
        r"peace (plan|deal|process|talks|accord|agreement)|cease-?fire|"
        r"truce|nuclear (talks|program|programme|site|drive|issue|deal|"
        r"activit\w+|inspect\w+|weapons?)|uranium|Kyoto|ratif\w+|Annan|"
        r"ElBaradei|Powell|Solana|Armitage)\b",
        r"(?-i:\bU\.N\.)|\bplutonium\b",
        r"\b(visit(s|ed|ing)?|arrives?|meets?|hosts?)\b.{0,40}"
        r"\b(president|prime minister|premier|leaders?|king)\b",
    ]),
    ("military", [
        r"\b(troops|soldiers?|army|armed forces|military|militar(y|ies)|"
        r"militants?|militia(men)?|rebels?|insurgen\w+|guerrillas?|"
        r"air ?strikes?|airstrikes?|shelling|offensive|marines|navy|naval|"
        r"air force|missiles?|tanks?|artillery|fighting|clashes|"
        r"warplanes?|gunships?|war|wars|battles?|battlefield|(car|suicide|roadside) "
        r"bomb\w*|weapons?|Taliban|Taleban|Hezbollah|Hamas|peacekeep\w+|"
        r"Fallujah|Falluja|Najaf|bombings?|bombs? (kill|wound|hit|rock)\w*)\b",
    ]),
    ("disaster", [
        # First: named disasters and accidents, all a story of violence
        # may use (VIOLENCE below).
        r"\b(earthquakes?|quakes?|floods?|flooding|landslides?|mudslides?|"
        r"hurricanes?|typhoons?|cyclones?|tsunami|volcano\w*|avalanches?|"
        r"drought|famine|(plane|bus|train|helicopter) crash\w*|derail\w*|"
        r"capsiz\w*|mine (blast|explosion|accident|disaster|collapse))\b",
        r"\b(earthquakes?|quakes?|floods?|flooding|landslides?|mudslides?|"
        r"hurricanes?|typhoons?|cyclones?|tsunami|volcano\w*|avalanches?|"
        r"drought|famine|(plane|bus|train|helicopter|car) crash\w*|"
        r"crash\w* (kills?|killed)|derail\w*|capsiz\w*|sinks|ferry|"
        r"mine (blast|explosion|accident|disaster|collapse)|"
        r"(plant|factory|gas|mine|chemical) (blast|explosion)|"
        r"explosion|blaze|(forest|bush|wild)fires?|fire (kills|killed|"
        r"destroys|broke out)|(building|bridge|mine|roof|school|stadium|"
        r"hotel|tunnel) collaps\w*|stampede|wreckage|rescuers|"
        r"death toll|survivors?)\b",
    ]),
    ("weather", [
        r"\b(hurricanes?|typhoons?|cyclones?|tropical storms?|"
        r"storms? (kills?|hits?|batters?|lashes|pounds?)|(snow|rain|"
        r"thunder|sand|dust)storms?|monsoons?|heat ?waves?|snowfall|"
        r"blizzards?|heavy rains?|rainfall|weather|forecasters?|"
        r"temperatures|drought|El Nino|climate change|global warming)\b",
    ]),
    ("health", [
        r"\b(health|hospitals?|diseases?|virus\w*|flu|influenza|"
        r"(?-i:SARS|AIDS|HIV|WHO)|polio|malaria|cholera|measles|"
        r"epidemics?|outbreaks?|vaccin\w*|medical|medicine|doctors?|"
        r"patients?|cancer|dementia|obesity|World Health Organi[sz]ation|"
        r"smoking)\b",
    ]),
    ("science", [
        r"\b(scientists?|research(ers)?|study (finds|shows|says)|space|"
        r"(?-i:NASA)|telescopes?|planets?|astronauts?|satellites?|rockets?|"
        r"fossils?|dinosaurs?|archaeolog\w+|genome|species|"
        r"Nobel (prize )?(in )?(physics|chemistry|medicine))\b",
    ]),
    ("sports", [
        r"\b(Olympics?|Olympians?|Paralympic\w*|cricket|rugby|basketball|"
        r"football|soccer|tennis|golf|athletes?|athletics|medals?|"
        r"World Cup|weightlift\w+|cyclist|marathon|Grand Prix)\b",
    ]),
    ("fraud", [
        r"\b(scams?|scammers?|swindl\w+|con artists?|Ponzi|"
        r"pyramid schemes?|phishing|identity theft|"
        r"(internet|online|telephone|investment|lottery|mail|wire|"
        r"insurance|credit card) fraud)\b",
    ]),
    ("finance", [
        r"\b(econom(y|ic|ies)|inflation|(?-i:GDP|WTO)|growth|"
        r"trade (deal|talks|pact|surplus|deficit|gap|war|barriers?|"
        r"agreement)|trading|exports?|imports?|oil prices?|crude|"
        r"stocks?|shares|markets?|(?<!West )banks?|currency|euro|dollar|"
        r"yen|investors?|investment|budget|deficit|tax(es)?|profits?|"
        r"companies|company|firms?|airlines?|business\w*|jobs|"
        r"unemployment|tariffs?|consumers?|stakes?)\b",
    ]),
    ("society", [
        r"\b(police|policemen|arrest\w*|courts?|trial|judges?|jail\w*|"
        r"prison\w*|sentenced|murder\w*|kidnap\w*|hostages?|abduct\w*|"
        r"gunm[ae]n|shooting|crime|criminals?|riots?|protest\w*|"
        r"demonstrat\w+|terror\w*|bomb plot|refugees?|"
        r"executed|execution|curfew|drugs? (traffick|smuggl)\w*)\b",
    ]),
    ("politics", [
        r"\b(elections?|elected|vote[sr]?|voting|polls?|ballots?|"
        r"campaign\w*|parliament\w*|congress\w*|senate|senators?|"
        r"president\w*|prime minister|(?-i:PM|GOP)|premier|government|cabinet|"
        r"ministers?|party|parties|opposition|coalition|referendum|"
        r"constitution\w*|resign\w*|legislat\w+|lawmakers?|bill|"
        r"Democrats?|Republicans?|Bush|Kerry|Blair|Putin|Sharon|"
        r"Arafat|Chirac|Schroeder|Koizumi)\b",
    ]),
]

_COMPILED = [(label, [re.compile(p, re.IGNORECASE) for p in pats])
             for label, pats in RULES]

# Bombings, attacks and war: their dead make a story `military` or
# `society` (TAXONOMY.md), not `disaster`. Where one of these matches,
# `disaster` needs its first pattern, a named natural disaster or accident
# (not an explosion, blaze, fire, collapse or rescue).
VIOLENCE = re.compile(
    r"\b(bomb\w*|attacks?|militants?|rebels?|suicide|gunm[ae]n|terror\w*|"
    r"insurgen\w+|troops|soldiers?|war|shelling|air ?strikes?|hostages?|"
    r"arson)\b", re.IGNORECASE)

# Labels whose rules also read the item's sentence, where a headline alone
# rarely names the topic ("Frances Knocks Out Power, Floods Florida").
LEAD_LABELS = {"disaster", "weather"}
# A war story's sentence names the fighting even when its headline names
# only a place; these words are not used in passing.
MILITARY_LEAD = re.compile(
    r"\b(troops|soldiers|air ?strikes?|airstrikes?|shelling|artillery|"
    r"(car|suicide|roadside) bomb\w*|insurgents|militants|gunships?)\b",
    re.IGNORECASE)

# General labels come after the specific ones: a story's first label is
# the most specific topic found.
GENERAL = {"finance", "society", "politics"}

# A more specific topic outranks the general one its stories also match:
# talks name leaders and governments, scams are crime news.
OUTRANKS = {"diplomacy": "politics", "fraud": "society"}


def labels_for(title, lead=""):
    """The weak labels of an English story, most specific first (may be
    empty)."""
    matched = rules.matched_labels(_COMPILED, title, lead, LEAD_LABELS,
                                   VIOLENCE, {"military": MILITARY_LEAD})
    return rules.ranked(matched, GENERAL, OUTRANKS)


def world_labels(title, lead=""):
    """Foreign news: the rules' labels, or `politics` when none match."""
    return labels_for(title, lead) or ["politics"]
