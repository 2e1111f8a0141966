"""Labels and plain-language texts of the planner's report, in English and German.

``TEXT`` holds the section titles, the section introductions and the words
of tables and figures; every language has every key (``tests/test_report.py``
checks it). The indicators' labels, explanations and units are in their
registry entries (:mod:`qsim.indicators`).
"""

from __future__ import annotations

import math

from babel.numbers import format_decimal, format_percent

from .. import indicators as registry
from ..indicators import LANGUAGES

NUMBER_LOCALES = {"en": "en_GB", "de": "de_DE"}
"""The CLDR locale whose number formats each report language uses (Babel)."""

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Comparison of intervention options",
        "subtitle": "qsim - agent-based simulation of neighbourhood management (Quartiersmanagement)",
        "contents": "Contents",
        "generated": "Report made",
        "runs_made": "Runs made",
        "pp": "percentage points",
        "baseline": "baseline",
        "option": "Option",
        "scenario": "Scenario",
        "description": "Description",
        "measures_count": "Measures",
        "total_budget": "Planned funding (EUR)",
        "replications": "Replications",
        "seed": "Seed",
        "horizon": "Horizon",
        "years": "years",
        "year": "year",
        "area": "Area",
        "whole_area": "whole simulated area",
        "runs_ok": "Runs finished",
        "indicator": "Indicator",
        "unit": "Unit",
        "meaning": "What it measures",
        "better": "Better when",
        "higher": "higher",
        "lower": "lower",
        "neither": "no direction",
        "measure": "Measure",
        "type": "Type",
        "start": "Start (year)",
        "end": "End (year)",
        "cost_per_year": "Cost (EUR/year or one-off)",
        "funded_by": "Funded by",
        "source": "Source",
        "kind": "Kind",
        "per_year": "EUR in the first year",
        "period": "Years",
        "planned_total": "Planned in total (EUR)",
        "spent_total": "Spent on average (EUR)",
        "to_end": "to the end",
        "one_off": "one-off",
        "construction": "construction (planned building time)",
        "none": "none",
        "never": "not within the horizon",
        "difference": "Difference",
        "interval": "95% interval",
        "significant": "clear effect",
        "mean": "Mean",
        "band": "10-90% band",
        "first_year": "First year with a clear effect",
        "end_of_funding": "End of funding (year)",
        "at_end": "Effect at the end of funding",
        "after": "{k} years later",
        "extra_cost": "Extra cost vs. baseline (EUR)",
        "eur_per_household_year": "EUR per household-year avoided",
        "gain_per_100k": "Gain per 100,000 EUR",
        "share_best": "Share of replications in which the scenario is best",
        "method": "Method",
        "output": "Output",
        "parameter": "Parameter",
        "index": "Index",
        "value": "Value",
        "planned_inflow": "planned inflow",
        "spent_mean": "spent (mean)",
        "no_funding": "no funding sources",
        "no_measures": "no measures",
        "at_year": "in year {year}",
        "random_cuts_note": "Planned amounts include scheduled cuts and degression; random cuts (if a source has "
                            "them) happen only in some replications and show in the money actually spent.",
        # sections
        "sec_overview": "What was compared",
        "sec_overview_intro": "The simulation compares {options} with the baseline scenario <b>{baseline}</b> for "
                              "the same neighbourhood. Every scenario was run {reps} times with different chance "
                              "events (replications); replication r of every scenario meets the same chance events, "
                              "so the differences between options are due to the options themselves.",
        "sec_measures": "Measures on a timeline",
        "sec_measures_intro": "When each option's measures run. Construction measures are shown for their "
                              "planned building time; their effect lasts afterwards.",
        "sec_budget": "Budgets by source and year",
        "sec_budget_intro": "The money each funding source plans to pay in every year (bars) and the money "
                            "actually spent on measures, averaged over replications (line).",
        "sec_trajectories": "How the neighbourhood develops",
        "sec_trajectories_intro": "Mean over replications (line) and the range in which 80% of the replications lie "
                                  "(10-90% band, shaded), the baseline against one option at a time. The orange "
                                  "background marks years in which the option's measures run.",
        "sec_differences": "Differences to the baseline",
        "sec_differences_intro": "Each option minus the baseline in the same replication (paired difference), "
                                 "in year {year}, with 95% intervals. An interval that does not cross zero "
                                 "marks a clear effect (in bold). Green: better than the baseline, red: worse. "
                                 "Shares are shown in percentage points.",
        "sec_timing": "Time to effect and persistence",
        "sec_timing_intro": "The first year in which the paired difference is clearly different from zero, and "
                            "what remains of the effect after the funding of an option ends.",
        "sec_persistence_intro": "Effect in the last funded year and later, as a share of that effect (100% = "
                                 "fully kept, 0% = gone). Years beyond the simulated horizon are left out.",
        "sec_cost": "Cost-effectiveness",
        "sec_cost_intro": "The extra money each option spends compared with the baseline by year {year}, and what it"
                          " buys for each indicator of the goal: for unemployment (S1), long-term unemployment (S2),"
                          " transfer receipt (S3) and other shares of households the cost per household-year avoided"
                          " (one household kept out of it for one year, counted on 31 December, summed over all "
                          "years); for the other indicators the cost per minimum important difference gained.",
        "sec_ranking": "How robust is the ranking?",
        "sec_ranking_intro": "For each indicator, the share of replications in which a scenario is the best of "
                             "all in year {year}. Values near 100% mean the ranking holds whatever the chance "
                             "events; similar shares mean the options cannot be told apart.",
        "sec_sensitivity": "Sensitivity to uncertain assumptions",
        "sec_sensitivity_intro": "How much of the variation of the outcomes comes from each uncertain parameter "
                                 "(global sensitivity analysis; higher index = more influence), with intervals.",
        "sec_sensitivity_none": "No sensitivity analysis was run for this comparison. To include one, run qsim "
                                "sensitivity and pass its folder to qsim report with --sensitivity DIR.",
        "sec_limits": "What the model can and cannot say",
        "sec_indicators": "Indicators explained",
        "sec_indicators_intro": "Rates are read on 31 December of each year, flows are summed over the year.",
        # figures
        "fig_measures": "Measures of each option over the years",
        "fig_budget": "Funding by source (planned) and money spent per year",
        "fig_trajectories": "The goal's indicators over the years, the baseline (black) against one option per row: "
                            "mean and 10-90% band. The y range of an indicator spans at least four minimum important"
                            " differences, so that noise does not look like an effect.",
        "fig_differences": "Paired difference to the baseline in year {year} with 95% interval; grey: smaller than the "
                           "minimum important difference",
        "fig_timing": "First year with a clear effect (blank: none within the horizon)",
        "fig_cost": "Extra cost against the baseline",
        "fig_persistence": "Paired differences to the baseline over the years with 95% intervals; dotted: the end "
                           "of an option's funding",
        "fig_ranking": "Share of replications in which each scenario is best",
        "fig_sensitivity": "Sensitivity indices with intervals",
        "eur_million": "million EUR",
        "share_best_axis": "share best",
        # limits
        "limits_can": "What it can say",
        "limits_cannot": "What it cannot say",
        "can_1": "How the options compare with each other under the same assumptions: which direction an effect "
                 "takes, roughly how large it is relative to the others, and when it appears.",
        "can_2": "How sure the comparison is given chance events: the bands, the intervals and the share of "
                 "replications in which an option is best.",
        "can_3": "Whether an effect outlasts the funding in the model, and what an option costs per unit of "
                 "improvement.",
        "can_4": "Which assumptions matter most, where a sensitivity analysis was run.",
        "cannot_1": "It does not forecast this neighbourhood's future: the population is synthetic and the effect "
                    "sizes of measures are taken from studies and expert judgement, not measured here.",
        "cannot_2": "The intervals cover chance events in the model only, not errors in the model's assumptions; "
                    "the real uncertainty is larger.",
        "cannot_3": "Things outside the model are not included: the housing market of the whole city, changes in "
                    "national policy, the quality of the people doing the work, events like a pandemic.",
        "cannot_4": "Small differences that are not clear effects should not be used to rank options; use the "
                    "results together with local knowledge and the people who live there.",
        "sec_summary": "The decision in brief",
        "evidence": "→ evidence",
        "sum_goal": "Goal: {goal}. Effects are counted in minimum important differences (the smallest change worth "
                    "acting on, see the indicators' table), weighted as given.",
        "sum_and": " and ",
        "sum_recommend": "Recommended for this goal: {options}. In year {year} {best} improves the goal by {score} "
                         "minimum important differences over the baseline (95% interval {low} to {high}).",
        "sum_recommend_tie": "The recommended options cannot be told apart: the interval of their difference "
                             "includes zero.",
        "sum_recommend_rest": "The other options do clearly less.",
        "sum_recommend_none": "No option improves the goal clearly over the baseline. The best, {option}, scores "
                              "{score} minimum important differences in year {year} (95% interval {low} to {high}, "
                              "which includes zero or less).",
        "sum_certainty": "How sure: {option} is the best scenario for the goal in {share} of the {n} replications "
                         "(the chance events of the model).",
        "sum_parameters_none": "Across uncertain assumptions: unknown, no sensitivity analysis was run for this "
                               "comparison.",
        "sum_parameters_other": "Across uncertain assumptions: the sensitivity analysis shown does not cover the "
                                "goal's indicators.",
        "sum_parameters": "Across uncertain assumptions: the goal's indicators depend most on {parameters} "
                          "(sensitivity analysis). Whether the recommendation holds when these change was not "
                          "computed; check it with a comparison at other values.",
        "sum_timing": "Effects of {option} show from year {year} on (first clear effect: {indicator}).",
        "sum_timing_none": "{option} shows no clear effect on the goal's indicators within the horizon.",
        "sum_timing_never": "No clear effect within the horizon on: {indicators}.",
        "sum_persistence_none": "{option}'s funding runs to the end of the simulated horizon: what remains "
                                "afterwards is not known.",
        "sum_persistence_short": "{option}'s funding ends in year {end}; the horizon ends too soon after to say how "
                                 "much remains.",
        "sum_persistence": "{option}'s funding ends in year {end}; {k} years later this share of the effect remains:"
                           " {parts}.",
        "sum_cost": "Cost: {option} spends {extra} more than the baseline by year {year}. Per unit of improvement: "
                    "{parts}.",
        "sum_cost_none": "Cost: no indicator of the goal has a better direction to price.",
        "sum_cost_not_meaningful": "{indicator}: not meaningful (the effect's interval includes zero)",
        "sum_cost_item": "{indicator} {value} per {unit} (95% interval {low} to {high})",
        "sum_cost_more": "{k} more indicators in the cost section",
        "important_column": "Minimum important difference (why)",
        "sum_who_gains": "Who gains: of {option}'s effect on the area's goal score ({total} minimum important "
                         "differences), {residents} is the original residents' own gain and {composition} comes "
                         "from who moved in and out (composition, {share} of the total); {rest} from indicators that "
                         "are not followed person by person (trust, participation, properties of the area).",
        "sum_who_gains_none": "Who gains: these results do not follow residents (made without indicators by "
                              "cohort), so the area's change cannot be split into residents' gain and population "
                              "change; rerun the comparison.",
        "sum_basis": "The ranking judges the outcomes of the original residents (everyone who lived in the area at "
                     "the start, wherever they live now), not the area's figures, which also change when people "
                     "move in and out; so does the cost per household-year.",
        "sum_basis_area": "The ranking judges the area's figures, which also change when people move in and out: "
                          "these results do not follow the residents.",
        "sum_composition_flag": "⚑ Mostly composition: the area figures of {options} improve mostly because of "
                                "who moved in and out, not because residents are better off.",
        "sum_few_replications": "Too few replications: {n} were run, {needed} are needed so that the interval of "
                                "every goal indicator reaches at most half a minimum important difference to either "
                                "side of its mean (from the spread of the paired differences, t-distribution, 95%; "
                                "at least 10 for the bootstrap). Treat the intervals and the shares of wins as "
                                "rough; run qsim compare with -r {needed}.",
        "sum_caveats": "Caveats",
        "caveat_few": "The number of replications is too small for the intervals shown (see the warning above).",
        "caveat_tiny": "{k} clear differences in the last year are smaller than the minimum important difference: "
                       "measurable in the model, too small to matter.",
        "caveat_important": "The minimum important differences are assumptions of this model, not agreed standards; "
                            "a different goal or threshold can change the recommendation.",
        "caveat_chance": "The intervals cover chance events in the model only, not errors in its assumptions: the "
                         "real uncertainty is larger.",
        "caveat_synthetic": "The neighbourhood is synthetic and the measures' effect sizes come from studies and "
                            "expert judgement: compare options, do not read the numbers as a forecast.",
        "unit_household_year": "household-year avoided",
        "unit_important_difference": "minimum important difference",
        "one_option": "one option",
        "n_options": "{n} options",
        "all_sources": "all sources",
        "important_short": "{unit}; matters from {value}",
        "effect_size_short": "size",
        "mark_important": "●",
        "mark_tiny": "○",
        "mark_unclear": "",
        "not_meaningful": "not meaningful",
        "eur_per": "EUR per {unit}",
        "practical_legend": "● clear and large enough to matter (the interval excludes zero and the difference "
                            "reaches the indicator's minimum important difference, given below its name); ○ clear "
                            "but tiny; grey: unclear (the interval includes zero). Size: the difference in standard "
                            "deviations of the baseline between replications (the natural spread), comparable "
                            "between indicators; the interval shows how precisely the difference is known.",
        "cost_interval_note": "Intervals: 95% percentile bootstrap over replications (2,000 resamples, fixed seed). "
                              "Not meaningful: the improvement's interval includes zero, so the option may buy "
                              "nothing.",
        "percent_unit": "%",
        "measures_running": "measures of the option running",
        "footer": "Made with qsim {version}, seed {seed}. Tables as CSV and Parquet are in the results folder.",
        "sec_residents": "Residents or newcomers?",
        "sec_residents_intro": "An area's figures change in two ways: the people who live there fare better or "
                               "worse, and people move in and out. Here each option's change in year {year} (against "
                               "the baseline, same replication) is split into the original residents' own change "
                               "(everyone who lived in the area at the start, followed wherever they live now) and "
                               "composition: who left (departures) and who came (arrivals). The parts add up to the "
                               "change of the area exactly. An area can improve while its residents do not.",
        "fig_residents": "Change of the area in year {year} (dot: total with 95% interval) split into the original "
                         "residents' own change and composition (who left, who came)",
        "part_total": "change of the area",
        "part_residents": "residents' own change",
        "part_composition": "composition",
        "part_departures": "who left",
        "part_arrivals": "who came",
        "composition_share": "composition share",
        "residents_sentence": "{option}: of its change of {indicator} ({total} {unit}), {residents} is the original "
                              "residents' own change and {composition} comes from who moved in and out ({share} "
                              "composition).",
        "residents_sentence_unclear": "{option}: no clear change of {indicator} in the area (interval includes "
                                      "zero).",
        "residents_flag": "⚑ mostly composition",
        "leavers_heading": "What happened to those who left",
        "leavers_intro": "Households that left the area since the start are followed wherever they live now (in "
                         "another area or outside the simulated city). The table compares them under each option "
                         "with those who left under the baseline, in year {year}: how many left, and how they "
                         "fare.",
        "leavers_count": "households that left",
        "basis": "Counted among",
        "basis_residents": "original residents",
        "basis_area": "the area as a whole",
        "cost_basis_note": "Original residents: improvement among the households that lived in the area at the "
                           "start, wherever they live now (household-years: their number times the change of their "
                           "share). The area as a whole: among the households living in the area each year, "
                           "newcomers included. The summary and the ranking use the original residents.",
        "no_cohorts": "These results hold no indicators by cohort (made by an older qsim), so the area's change "
                      "cannot be split into residents and newcomers. Run the comparison again.",
        "no_leavers": "These results do not follow the households that left the area.",
        # the city: where the effects are (a comparison of city scenarios)
        "sec_city": "Where in the city",
        "sec_city_intro": "Where each option's effects arise in year {year}: in the areas it chose (its measures "
                          "run there), in their neighbours (the other planning areas of the same forecast areas), "
                          "in the rest of the city, and in the city as a whole. Shares: household-weighted means "
                          "of the areas' paired differences; flows and households: sums. More displacements, "
                          "moves or households in the neighbours or the rest than in the chosen areas mean that "
                          "the option pushes people (or problems) elsewhere.",
        "fig_city": "Maps by forecast area (planning areas aggregated, weighted by households) in year {year}: the "
                    "baseline's status classes of the city's social monitoring (MSS), and each option minus the "
                    "baseline.",
        "map_status": "{scenario}: status classes, year {year}",
        "map_difference": "{option} minus baseline: {indicator}",
        "map_outline": "black outline: forecast areas with the chosen areas ({n} planning areas)",
        "zone": "Zone",
        "zone_chosen": "chosen areas",
        "zone_neighbours": "neighbours",
        "zone_rest": "rest of the city",
        "zone_city": "city",
        "areas_count": "{n} areas",
        "data_sources": "{attribution}",  # the attribution says what it is ("Data: ...")
    },
    "de": {
        "title": "Vergleich von Handlungsoptionen",
        "subtitle": "qsim - agentenbasierte Simulation des Quartiersmanagements",
        "contents": "Inhalt",
        "generated": "Bericht erstellt",
        "runs_made": "Läufe gerechnet",
        "pp": "Prozentpunkte",
        "baseline": "Basisszenario",
        "option": "Option",
        "scenario": "Szenario",
        "description": "Beschreibung",
        "measures_count": "Maßnahmen",
        "total_budget": "Geplante Förderung (EUR)",
        "replications": "Wiederholungen",
        "seed": "Startwert",
        "horizon": "Zeitraum",
        "years": "Jahre",
        "year": "Jahr",
        "area": "Gebiet",
        "whole_area": "gesamtes simuliertes Gebiet",
        "runs_ok": "Abgeschlossene Läufe",
        "indicator": "Indikator",
        "unit": "Einheit",
        "meaning": "Was er misst",
        "better": "Besser, wenn",
        "higher": "höher",
        "lower": "niedriger",
        "neither": "keine Richtung",
        "measure": "Maßnahme",
        "type": "Art",
        "start": "Beginn (Jahr)",
        "end": "Ende (Jahr)",
        "cost_per_year": "Kosten (EUR/Jahr oder einmalig)",
        "funded_by": "Finanziert durch",
        "source": "Quelle",
        "kind": "Art",
        "per_year": "EUR im ersten Jahr",
        "period": "Jahre",
        "planned_total": "Insgesamt geplant (EUR)",
        "spent_total": "Im Mittel ausgegeben (EUR)",
        "to_end": "bis zum Ende",
        "one_off": "einmalig",
        "construction": "Bau (geplante Bauzeit)",
        "none": "keine",
        "never": "nicht im Zeitraum",
        "difference": "Differenz",
        "interval": "95%-Intervall",
        "significant": "deutlicher Effekt",
        "mean": "Mittelwert",
        "band": "10-90%-Band",
        "first_year": "Erstes Jahr mit deutlichem Effekt",
        "end_of_funding": "Förderende (Jahr)",
        "at_end": "Effekt am Förderende",
        "after": "{k} Jahre später",
        "extra_cost": "Mehrkosten ggü. Basis (EUR)",
        "eur_per_household_year": "EUR je vermiedenem Haushaltsjahr",
        "gain_per_100k": "Gewinn je 100.000 EUR",
        "share_best": "Anteil der Wiederholungen, in denen das Szenario am besten ist",
        "method": "Methode",
        "output": "Ergebnisgröße",
        "parameter": "Parameter",
        "index": "Index",
        "value": "Wert",
        "planned_inflow": "geplante Einnahmen",
        "spent_mean": "ausgegeben (Mittel)",
        "no_funding": "keine Förderquellen",
        "no_measures": "keine Maßnahmen",
        "at_year": "im Jahr {year}",
        "random_cuts_note": "Die geplanten Beträge enthalten angekündigte Kürzungen und Degression; zufällige "
                            "Kürzungen (falls eine Quelle sie hat) treten nur in manchen Wiederholungen auf und "
                            "zeigen sich in den tatsächlichen Ausgaben.",
        "sec_overview": "Was verglichen wurde",
        "sec_overview_intro": "Die Simulation vergleicht {options} mit dem Basisszenario <b>{baseline}</b> für "
                              "dasselbe Quartier. Jedes Szenario wurde {reps}-mal mit unterschiedlichen "
                              "Zufallsereignissen gerechnet (Wiederholungen); Wiederholung r erlebt in jedem "
                              "Szenario dieselben Zufallsereignisse, sodass Unterschiede zwischen den Optionen auf "
                              "die Optionen selbst zurückgehen.",
        "sec_measures": "Maßnahmen im Zeitverlauf",
        "sec_measures_intro": "Wann die Maßnahmen jeder Option laufen. Baumaßnahmen sind für ihre geplante "
                              "Bauzeit dargestellt; ihre Wirkung hält danach an.",
        "sec_budget": "Budgets nach Quelle und Jahr",
        "sec_budget_intro": "Die Mittel, die jede Förderquelle in jedem Jahr einzahlen soll (Balken), und die "
                            "tatsächlich für Maßnahmen ausgegebenen Mittel im Mittel der Wiederholungen (Linie).",
        "sec_trajectories": "Wie sich das Quartier entwickelt",
        "sec_trajectories_intro": "Mittelwert über die Wiederholungen (Linie) und der Bereich, in dem 80% der "
                                  "Wiederholungen liegen (10-90%-Band, schattiert), das Basisszenario gegen je eine "
                                  "Option. Der orange Hintergrund markiert Jahre, in denen die Maßnahmen der Option "
                                  "laufen.",
        "sec_differences": "Unterschiede zum Basisszenario",
        "sec_differences_intro": "Jede Option minus Basisszenario in derselben Wiederholung (gepaarte "
                                 "Differenz) im Jahr {year}, mit 95%-Intervallen. Ein Intervall, das die Null "
                                 "nicht einschließt, zeigt einen deutlichen Effekt (fett). Grün: besser als die "
                                 "Basis, rot: schlechter. Anteile sind in Prozentpunkten angegeben.",
        "sec_timing": "Zeit bis zur Wirkung und Nachhaltigkeit",
        "sec_timing_intro": "Das erste Jahr, in dem die gepaarte Differenz deutlich von null verschieden ist, "
                            "und was von der Wirkung bleibt, wenn die Förderung einer Option endet.",
        "sec_persistence_intro": "Effekt im letzten geförderten Jahr und danach, als Anteil dieses Effekts "
                                 "(100% = ganz erhalten, 0% = verschwunden). Jahre nach dem simulierten Zeitraum "
                                 "fehlen.",
        "sec_cost": "Kosten-Wirksamkeit",
        "sec_cost_intro": "Die Mehrausgaben jeder Option gegenüber dem Basisszenario bis zum Jahr {year} und was sie"
                          " für jeden Indikator des Ziels bewirken: bei Arbeitslosigkeit (S1), "
                          "Langzeitarbeitslosigkeit (S2), Transferbezug (S3) und anderen Anteilen von Haushalten die"
                          " Kosten je vermiedenem Haushaltsjahr (ein Haushalt ein Jahr lang davor bewahrt, gezählt "
                          "am 31. Dezember, summiert über alle Jahre); bei den übrigen Indikatoren die Kosten je "
                          "gewonnenem kleinsten bedeutsamen Unterschied.",
        "sec_ranking": "Wie robust ist die Rangfolge?",
        "sec_ranking_intro": "Für jeden Indikator der Anteil der Wiederholungen, in denen ein Szenario im Jahr "
                             "{year} das beste ist. Werte nahe 100% heißen: die Rangfolge hält unabhängig vom "
                             "Zufall; ähnliche Anteile heißen: die Optionen sind nicht zu unterscheiden.",
        "sec_sensitivity": "Empfindlichkeit gegenüber unsicheren Annahmen",
        "sec_sensitivity_intro": "Wie viel der Schwankung der Ergebnisse auf jeden unsicheren Parameter "
                                 "zurückgeht (globale Sensitivitätsanalyse; höherer Index = mehr Einfluss), mit "
                                 "Intervallen.",
        "sec_sensitivity_none": "Für diesen Vergleich wurde keine Sensitivitätsanalyse gerechnet. Sie lässt sich "
                                "mit qsim sensitivity rechnen und mit qsim report --sensitivity DIR einbinden.",
        "sec_limits": "Was das Modell aussagen kann und was nicht",
        "sec_indicators": "Die Indikatoren erklärt",
        "sec_indicators_intro": "Quoten werden am 31. Dezember jedes Jahres abgelesen, Ströme über das Jahr "
                                "summiert.",
        "fig_measures": "Maßnahmen jeder Option im Zeitverlauf",
        "fig_budget": "Förderung nach Quelle (geplant) und Ausgaben je Jahr",
        "fig_trajectories": "Die Indikatoren des Ziels im Zeitverlauf, das Basisszenario (schwarz) gegen je eine "
                            "Option pro Zeile: Mittelwert und 10-90%-Band. Der y-Bereich eines Indikators umfasst "
                            "mindestens vier kleinste bedeutsame Unterschiede, damit Rauschen nicht wie eine Wirkung"
                            " aussieht.",
        "fig_differences": "Gepaarte Differenz zum Basisszenario im Jahr {year} mit 95%-Intervall; grau: kleiner "
                           "als der kleinste bedeutsame Unterschied",
        "fig_timing": "Erstes Jahr mit deutlichem Effekt (leer: keines im Zeitraum)",
        "fig_cost": "Mehrkosten gegenüber dem Basisszenario",
        "fig_persistence": "Gepaarte Differenzen zum Basisszenario im Zeitverlauf mit 95%-Intervallen; gepunktet: "
                           "das Förderende einer Option",
        "fig_ranking": "Anteil der Wiederholungen, in denen ein Szenario am besten ist",
        "fig_sensitivity": "Sensitivitätsindizes mit Intervallen",
        "eur_million": "Mio. EUR",
        "share_best_axis": "Anteil am besten",
        "limits_can": "Was es aussagen kann",
        "limits_cannot": "Was es nicht aussagen kann",
        "can_1": "Wie die Optionen unter denselben Annahmen im Vergleich abschneiden: in welche Richtung eine "
                 "Wirkung geht, wie groß sie ungefähr im Verhältnis zu den anderen ist und wann sie eintritt.",
        "can_2": "Wie sicher der Vergleich angesichts von Zufallsereignissen ist: die Bänder, die Intervalle und "
                 "der Anteil der Wiederholungen, in denen eine Option am besten ist.",
        "can_3": "Ob eine Wirkung im Modell das Förderende überdauert und was eine Option je Einheit "
                 "Verbesserung kostet.",
        "can_4": "Welche Annahmen am meisten zählen, sofern eine Sensitivitätsanalyse gerechnet wurde.",
        "cannot_1": "Es sagt nicht die Zukunft dieses Quartiers voraus: Die Bevölkerung ist synthetisch, und die "
                    "Wirkungsstärken der Maßnahmen stammen aus Studien und Expertenschätzungen, nicht aus "
                    "Messungen vor Ort.",
        "cannot_2": "Die Intervalle erfassen nur Zufallsereignisse im Modell, nicht Fehler in seinen Annahmen; "
                    "die wirkliche Unsicherheit ist größer.",
        "cannot_3": "Was außerhalb des Modells liegt, fehlt: der Wohnungsmarkt der ganzen Stadt, Änderungen der "
                    "Bundespolitik, die Qualität der Menschen, die die Arbeit tun, Ereignisse wie eine Pandemie.",
        "cannot_4": "Kleine Unterschiede ohne deutlichen Effekt sollten keine Rangfolge begründen; die "
                    "Ergebnisse gehören zusammen mit lokalem Wissen und den Menschen vor Ort betrachtet.",
        "sec_summary": "Die Entscheidung in Kürze",
        "evidence": "→ Belege",
        "sum_goal": "Ziel: {goal}. Wirkungen werden in kleinsten bedeutsamen Unterschieden gezählt (der kleinsten "
                    "Änderung, für die sich Handeln lohnt, siehe die Indikatorentabelle), gewichtet wie angegeben.",
        "sum_and": " und ",
        "sum_recommend": "Empfohlen für dieses Ziel: {options}. Im Jahr {year} verbessert {best} das Ziel um {score} "
                         "kleinste bedeutsame Unterschiede gegenüber dem Basisszenario (95%-Intervall {low} bis "
                         "{high}).",
        "sum_recommend_tie": "Die empfohlenen Optionen sind nicht zu unterscheiden: das Intervall ihrer Differenz "
                             "schließt null ein.",
        "sum_recommend_rest": "Die anderen Optionen erreichen deutlich weniger.",
        "sum_recommend_none": "Keine Option verbessert das Ziel deutlich gegenüber dem Basisszenario. Die beste, "
                              "{option}, erreicht im Jahr {year} {score} kleinste bedeutsame Unterschiede "
                              "(95%-Intervall {low} bis {high}, das null oder weniger einschließt).",
        "sum_certainty": "Wie sicher: {option} ist in {share} der {n} Wiederholungen (der Zufallsereignisse des "
                         "Modells) das beste Szenario für das Ziel.",
        "sum_parameters_none": "Bei unsicheren Annahmen: unbekannt, für diesen Vergleich wurde keine "
                               "Sensitivitätsanalyse gerechnet.",
        "sum_parameters_other": "Bei unsicheren Annahmen: die gezeigte Sensitivitätsanalyse umfasst die Indikatoren "
                                "des Ziels nicht.",
        "sum_parameters": "Bei unsicheren Annahmen: die Indikatoren des Ziels hängen am stärksten von {parameters} "
                          "ab (Sensitivitätsanalyse). Ob die Empfehlung hält, wenn sich diese ändern, wurde nicht "
                          "berechnet; ein Vergleich mit anderen Werten prüft es.",
        "sum_timing": "Wirkungen von {option} zeigen sich ab Jahr {year} (erster deutlicher Effekt: {indicator}).",
        "sum_timing_none": "{option} zeigt im Zeitraum keinen deutlichen Effekt auf die Indikatoren des Ziels.",
        "sum_timing_never": "Kein deutlicher Effekt im Zeitraum bei: {indicators}.",
        "sum_persistence_none": "Die Förderung von {option} läuft bis zum Ende des simulierten Zeitraums: was danach"
                                " bleibt, ist unbekannt.",
        "sum_persistence_short": "Die Förderung von {option} endet im Jahr {end}; der Zeitraum endet zu bald danach,"
                                 " um zu sagen, wie viel bleibt.",
        "sum_persistence": "Die Förderung von {option} endet im Jahr {end}; {k} Jahre später bleibt dieser Anteil "
                           "der Wirkung: {parts}.",
        "sum_cost": "Kosten: {option} gibt bis zum Jahr {year} {extra} mehr aus als das Basisszenario. Je Einheit "
                    "Verbesserung: {parts}.",
        "sum_cost_none": "Kosten: kein Indikator des Ziels hat eine Richtung, in der er besser wird.",
        "sum_cost_not_meaningful": "{indicator}: nicht aussagekräftig (das Intervall der Wirkung schließt null ein)",
        "sum_cost_item": "{indicator} {value} je {unit} (95%-Intervall {low} bis {high})",
        "sum_cost_more": "{k} weitere Indikatoren im Abschnitt Kosten-Wirksamkeit",
        "important_column": "Kleinster bedeutsamer Unterschied (Begründung)",
        "sum_who_gains": "Wer gewinnt: Von der Wirkung von {option} auf den Zielwert des Gebiets ({total} kleinste "
                         "bedeutsame Unterschiede) sind {residents} eigener Gewinn der ursprünglichen Bewohner und "
                         "{composition} Folge von Zu- und Wegzügen (Zusammensetzung, {share} des Ganzen); {rest} "
                         "stammen aus Indikatoren, die nicht Person für Person verfolgt werden (Vertrauen, "
                         "Beteiligung, Eigenschaften des Gebiets).",
        "sum_who_gains_none": "Wer gewinnt: Diese Ergebnisse verfolgen die Bewohner nicht (ohne Indikatoren nach "
                              "Kohorten gerechnet); die Veränderung des Gebiets lässt sich daher nicht in Gewinn der "
                              "Bewohner und Bevölkerungswechsel aufteilen. Rechnen Sie den Vergleich neu.",
        "sum_basis": "Die Rangfolge bewertet die ursprünglichen Bewohner (alle, die zu Beginn im Gebiet wohnten, "
                     "wo immer sie jetzt wohnen), nicht die Kennzahlen des Gebiets, die sich auch durch Zu- und "
                     "Wegzüge ändern; ebenso die Kosten je Haushaltsjahr.",
        "sum_basis_area": "Die Rangfolge bewertet die Kennzahlen des Gebiets, die sich auch durch Zu- und Wegzüge "
                          "ändern: Diese Ergebnisse verfolgen die Bewohner nicht.",
        "sum_composition_flag": "⚑ Vor allem Zusammensetzung: Die Kennzahlen des Gebiets verbessern sich bei "
                                "{options} vor allem durch Zu- und Wegzüge, nicht weil es den Bewohnern besser geht.",
        "sum_few_replications": "Zu wenige Wiederholungen: {n} wurden gerechnet, {needed} sind nötig, damit das "
                                "Intervall jedes Indikators des Ziels höchstens einen halben kleinsten bedeutsamen "
                                "Unterschied zu jeder Seite seines Mittelwerts reicht (aus der Streuung der "
                                "gepaarten Differenzen, t-Verteilung, 95%; mindestens 10 für den Bootstrap). "
                                "Intervalle und Anteile der Siege sind nur grob; qsim compare mit -r {needed} "
                                "rechnen.",
        "sum_caveats": "Vorbehalte",
        "caveat_few": "Die Zahl der Wiederholungen ist für die gezeigten Intervalle zu klein (siehe die Warnung "
                      "oben).",
        "caveat_tiny": "{k} deutliche Unterschiede im letzten Jahr sind kleiner als der kleinste bedeutsame "
                       "Unterschied: im Modell messbar, aber zu klein, um zu zählen.",
        "caveat_important": "Die kleinsten bedeutsamen Unterschiede sind Annahmen dieses Modells, keine vereinbarten"
                            " Standards; ein anderes Ziel oder eine andere Schwelle kann die Empfehlung ändern.",
        "caveat_chance": "Die Intervalle erfassen nur Zufallsereignisse im Modell, nicht Fehler in seinen Annahmen: "
                         "die wirkliche Unsicherheit ist größer.",
        "caveat_synthetic": "Das Quartier ist synthetisch, die Wirkungsstärken der Maßnahmen stammen aus Studien und"
                            " Expertenschätzungen: Optionen vergleichen, die Zahlen nicht als Prognose lesen.",
        "unit_household_year": "vermiedenes Haushaltsjahr",
        "unit_important_difference": "kleinsten bedeutsamen Unterschied",
        "one_option": "eine Option",
        "n_options": "{n} Optionen",
        "all_sources": "alle Quellen",
        "important_short": "{unit}; bedeutsam ab {value}",
        "effect_size_short": "Größe",
        "mark_important": "●",
        "mark_tiny": "○",
        "mark_unclear": "",
        "not_meaningful": "nicht aussagekräftig",
        "eur_per": "EUR je {unit}",
        "practical_legend": "● deutlich und groß genug, um zu zählen (das Intervall schließt null aus und der "
                            "Unterschied erreicht den kleinsten bedeutsamen Unterschied des Indikators, unter seinem"
                            " Namen angegeben); ○ deutlich, aber winzig; grau: unklar (das Intervall schließt null "
                            "ein). Größe: der Unterschied in Standardabweichungen des Basisszenarios zwischen den "
                            "Wiederholungen (der natürlichen Streuung), zwischen Indikatoren vergleichbar; das "
                            "Intervall zeigt, wie genau der Unterschied bekannt ist.",
        "cost_interval_note": "Intervalle: 95%-Perzentil-Bootstrap über die Wiederholungen (2.000 Ziehungen, fester "
                              "Startwert). Nicht aussagekräftig: das Intervall der Verbesserung schließt null ein, "
                              "die Option bewirkt also womöglich nichts.",
        "percent_unit": "%",
        "measures_running": "Maßnahmen der Option laufen",
        "footer": "Erstellt mit qsim {version}, Startwert {seed}. Tabellen als CSV und Parquet liegen im "
                  "Ergebnisordner.",
        "sec_residents": "Bewohner oder Zuzug?",
        "sec_residents_intro": "Die Kennzahlen eines Gebiets ändern sich auf zwei Wegen: Den Menschen, die dort "
                               "wohnen, geht es besser oder schlechter, und Menschen ziehen zu und weg. Hier wird die "
                               "Veränderung jeder Option im Jahr {year} (gegenüber dem Basisszenario, gleiche "
                               "Wiederholung) aufgeteilt in die eigene Veränderung der ursprünglichen Bewohner (alle, "
                               "die zu Beginn im Gebiet wohnten, verfolgt, wo immer sie jetzt wohnen) und die "
                               "Zusammensetzung: wer wegzog und wer zuzog. Die Teile ergeben zusammen genau die "
                               "Veränderung des Gebiets. Ein Gebiet kann sich verbessern, ohne dass es seinen "
                               "Bewohnern besser geht.",
        "fig_residents": "Veränderung des Gebiets im Jahr {year} (Punkt: gesamt mit 95%-Intervall), aufgeteilt in die "
                         "eigene Veränderung der ursprünglichen Bewohner und die Zusammensetzung (wer wegzog, wer "
                         "zuzog)",
        "part_total": "Veränderung des Gebiets",
        "part_residents": "eigene Veränderung der Bewohner",
        "part_composition": "Zusammensetzung",
        "part_departures": "wer wegzog",
        "part_arrivals": "wer zuzog",
        "composition_share": "Anteil Zusammensetzung",
        "residents_sentence": "{option}: Von der Veränderung von {indicator} ({total} {unit}) sind {residents} eigene "
                              "Veränderung der ursprünglichen Bewohner und {composition} Folge von Zu- und Wegzügen "
                              "({share} Zusammensetzung).",
        "residents_sentence_unclear": "{option}: keine klare Veränderung von {indicator} im Gebiet (das Intervall "
                                      "schließt null ein).",
        "residents_flag": "⚑ vor allem Zusammensetzung",
        "leavers_heading": "Was aus den Weggezogenen wurde",
        "leavers_intro": "Haushalte, die das Gebiet seit Beginn verlassen haben, werden weiter verfolgt, wo immer sie "
                         "jetzt wohnen (in einem anderen Gebiet oder außerhalb der simulierten Stadt). Die Tabelle "
                         "vergleicht sie unter jeder Option mit den Weggezogenen im Basisszenario, im Jahr {year}: "
                         "wie viele wegzogen und wie es ihnen geht.",
        "leavers_count": "weggezogene Haushalte",
        "basis": "Gezählt unter",
        "basis_residents": "ursprünglichen Bewohnern",
        "basis_area": "dem Gebiet insgesamt",
        "cost_basis_note": "Ursprüngliche Bewohner: Verbesserung unter den Haushalten, die zu Beginn im Gebiet "
                           "wohnten, wo immer sie jetzt wohnen (Haushaltsjahre: ihre Zahl mal die Änderung ihres "
                           "Anteils). Gebiet insgesamt: unter den Haushalten, die im jeweiligen Jahr im Gebiet "
                           "wohnen, Zugezogene eingeschlossen. Zusammenfassung und Rangfolge verwenden die "
                           "ursprünglichen Bewohner.",
        "no_cohorts": "Diese Ergebnisse enthalten keine Indikatoren nach Kohorten (mit einer älteren qsim-Version "
                      "gerechnet); die Veränderung des Gebiets lässt sich daher nicht in Bewohner und Zuzug "
                      "aufteilen. Rechnen Sie den Vergleich neu.",
        "no_leavers": "Diese Ergebnisse verfolgen die Haushalte nicht, die das Gebiet verlassen haben.",
        "sec_city": "Wo in der Stadt",
        "sec_city_intro": "Wo die Wirkungen jeder Option im Jahr {year} entstehen: in den ausgewählten Gebieten "
                          "(dort laufen ihre Maßnahmen), in deren Nachbarschaft (die übrigen Planungsräume derselben "
                          "Prognoseräume), im Rest der Stadt und in der ganzen Stadt. Anteile: nach Haushalten "
                          "gewichtete Mittel der gepaarten Differenzen der Gebiete; Ströme und Haushalte: Summen. "
                          "Mehr Verdrängungen, Umzüge oder Haushalte in der Nachbarschaft oder im Rest als in den "
                          "ausgewählten Gebieten heißen, dass die Option Menschen (oder Probleme) verlagert.",
        "fig_city": "Karten nach Prognoseraum (Planungsräume zusammengefasst, nach Haushalten gewichtet) im Jahr "
                    "{year}: die Statusklassen des Monitorings Soziale Stadtentwicklung (MSS) im Basisszenario und "
                    "jede Option minus Basisszenario.",
        "map_status": "{scenario}: Statusklassen, Jahr {year}",
        "map_difference": "{option} minus Basisszenario: {indicator}",
        "map_outline": "schwarz umrandet: Prognoseräume mit ausgewählten Gebieten ({n} Planungsräume)",
        "zone": "Zone",
        "zone_chosen": "ausgewählte Gebiete",
        "zone_neighbours": "Nachbarschaft",
        "zone_rest": "übrige Stadt",
        "zone_city": "Stadt",
        "areas_count": "{n} Gebiete",
        "data_sources": "{attribution}",
    },
}


def text(lang: str) -> dict[str, str]:
    """The report's words in ``lang`` ('en' or 'de')."""
    if lang not in TEXT:
        raise ValueError(f"lang must be one of {', '.join(LANGUAGES)}, got {lang!r}")
    return TEXT[lang]


def indicator_label(name: str, lang: str) -> str:
    """The plain-language name of an indicator (of another output, e.g. of a sensitivity analysis: its name)."""
    return registry.get(name).label(lang) if name in registry.names() else name.replace("_", " ")


def indicator_explanation(name: str, lang: str) -> str:
    return registry.get(name).explanation(lang)


def indicator_unit(name: str, lang: str) -> str:
    """The unit of an indicator as the report writes it."""
    return registry.get(name).unit_label(lang)

DOMAIN_TEXT: dict[str, dict[str, str]] = {
    "cohesion": {"en": "cohesion", "de": "Zusammenhalt"},
    "participation": {"en": "participation", "de": "Beteiligung"},
    "employment": {"en": "employment", "de": "Beschäftigung"},
    "education": {"en": "education", "de": "Bildung"},
    "environment": {"en": "public space", "de": "Wohnumfeld"},
    "housing": {"en": "housing", "de": "Wohnen"},
    "safety": {"en": "safety", "de": "Sicherheit"},
    "structure": {"en": "QM office, networks", "de": "QM-Büro, Netzwerke"},
}
"""The measure domains of the catalogue (``qsim.measures.catalogue.DOMAINS``)."""

FUNDING_KIND_TEXT: dict[str, dict[str, str]] = {
    "public_programme": {"en": "public programme", "de": "Förderprogramm"},
    "co_financing": {"en": "co-financing", "de": "Kofinanzierung"},
    "donation": {"en": "donation", "de": "Spende"},
    "own_funds": {"en": "own funds", "de": "Eigenmittel"},
}
"""The kinds of funding source (``FundingSource.kind``)."""


def measure_title(measure_type: str, lang: str) -> str:
    """The title of a measure type of the catalogue in ``lang``."""
    from ..measures import CATALOGUE

    entry = CATALOGUE[measure_type]
    return entry.title_de if lang == "de" else entry.title


def number(x: float, lang: str, digits: int = 3, thousands: bool = False) -> str:
    """``x`` with up to ``digits`` significant digits (or grouped thousands, no decimals) in the conventions of
    ``lang`` (Babel's CLDR data: a decimal comma and a thousands dot in German); '' for NaN."""
    if x is None or math.isnan(x):
        return ""
    pattern = "#,##0" if thousands else "@" + "#" * (digits - 1)
    return format_decimal(x, pattern, locale=NUMBER_LOCALES[lang])


def fixed(x: float, decimals: int, lang: str, sign: bool = False) -> str:
    """``x`` with ``decimals`` decimals (a leading + with ``sign``; none on a value that rounds to zero) in the
    conventions of ``lang``, with a typographic minus; '' for NaN."""
    if x is None or math.isnan(x):
        return ""
    digits = format_decimal(abs(x), "#,##0" + ("." + "0" * decimals if decimals else ""),
                            locale=NUMBER_LOCALES[lang])
    if not any(c in "123456789" for c in digits):  # rounds to zero: no sign
        return digits
    return ("\u2212" if x < 0 else "+" if sign else "") + digits


def percent(x: float, lang: str) -> str:
    """A share 0-1 as a whole percentage in the conventions of ``lang`` ('12%', '12 %'); '' for NaN."""
    if x is None or math.isnan(x):
        return ""
    return format_percent(x, locale=NUMBER_LOCALES[lang])
