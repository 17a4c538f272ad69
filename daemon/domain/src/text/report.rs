//! The endurance report (HTML; the JSON and CSV carry the same figures and the texts below
//! where they have words): headings, column titles, verdicts, the models and "now".

texts! {
    /// Every word of the endurance report.
    pub struct Report {
        /// Title when `[report] title` is not set.
        title: &'static str = "Uthållighet", "Endurance";
        /// Site.
        site: &'static str = "Anläggning", "Site";
        /// Period.
        period: &'static str = "Period", "Period";
        /// Time zone.
        timezone: &'static str = "Tidszon", "Time zone";
        /// When the report was made.
        generated: &'static str = "Upprättad", "Generated";
        /// Heading of the endurance section.
        endurance_heading: &'static str = "Uthållighet per reserv och funktion", "Endurance per reserve and function";
        /// What the endurance figures mean.
        endurance_intro: &'static str =
            "Uthållighet = användbart lager ÷ förbrukning, per scenario, vid periodens slut. Gap = målbild − uthållighet.",
            "Endurance = usable stock ÷ consumption, per scenario, at the end of the period. Gap = target − endurance.";
        /// A reserve's figures: `{capacity}`, `{unusable}`, `{unit}`, `{target}`, `{points}`.
        reserve_line: &'static str =
            "Kapacitet: {capacity} {unit}, ej användbart: {unusable} {unit}, målbild: {target}. Lagerpunkter: {points}",
            "Capacity: {capacity} {unit}, unusable: {unusable} {unit}, target: {target}. Stock points: {points}";
        /// Consumption models (label).
        models: &'static str = "Förbrukningsmodeller", "Consumption models";
        /// A function's dependencies (label).
        depends_on: &'static str = "beror av", "depends on";
        /// Scenario column.
        col_scenario: &'static str = "Scenario", "Scenario";
        /// Endurance column.
        col_endurance: &'static str = "Uthållighet", "Endurance";
        /// Consumption column.
        col_consumption: &'static str = "Förbrukning", "Consumption";
        /// Target column.
        col_target: &'static str = "Målbild", "Target";
        /// Gap column.
        col_gap: &'static str = "Gap", "Gap";
        /// Verdict column.
        col_verdict: &'static str = "Bedömning", "Verdict";
        /// Limiting-link column (functions).
        col_limiting: &'static str = "Begränsande länk", "Limiting link";
        /// Assumption column (reserves).
        col_assumption: &'static str = "Antagande och modell", "Assumption and model";
        /// Scenario "now".
        scenario_now: &'static str = "Nu (aktuell last)", "Now (present load)";
        /// Scenario "design".
        scenario_design: &'static str = "Dimensionerande (höjd beredskap)", "Design (heightened alert)";
        /// Scenario "worst".
        scenario_worst: &'static str = "Värsta fall (full last)", "Worst case (full load)";
        /// Verdict: meets the target.
        meets: &'static str = "uppfyller", "meets";
        /// Verdict: does not meet the target.
        fails: &'static str = "uppfyller inte", "does not meet";
        /// Verdict: not known.
        unknown: &'static str = "okänt", "unknown";
        /// Model: the device's own remaining time.
        model_runtime: &'static str = "Återstående tid enligt enheten", "Remaining time reported by the device";
        /// Model from load: `{points}`, `{rated}`, `{unit}`, `{curve}`.
        model_load: &'static str = "Från last: {points} (märklast {rated} {unit}), {curve}", "From load: {points} (rated {rated} {unit}), {curve}";
        /// Model from the measured trend: `{minutes}` (the window).
        model_measured: &'static str = "Uppmätt trend, fönster: {minutes} min", "Measured trend, window: {minutes} min";
        /// Planning figure: `{per_day}`, `{worst}`, `{unit}`, `{per}`, `{count}`, `{source}`.
        model_planning: &'static str =
            "Planeringsvärde: {per_day} (värsta fall {worst}) {unit}/{per} och dygn × {count} {source}",
            "Planning figure: {per_day} (worst case {worst}) {unit}/{per} per day × {count} {source}";
        /// Heading of the assumptions.
        assumptions_heading: &'static str = "Antaganden och modell", "Assumptions and model";
        /// The assumptions, one item each.
        assumptions: [&'static str; 4] = [
            "Lager = summan av lagerpunkterna minus ej användbar volym (sump).",
            "Nu: uppmätt last med databladets kurva, annars uppmätt trend (minsta kvadrat, efter senaste påfyllning).",
            "Dimensionerande och värsta fall: konfigurerad last eller planeringsvärde.",
            "En funktion räcker så länge som den kortaste länken i sin beroendekedja.",
        ], [
            "Stock = the sum of the stock points minus the unusable part (sump).",
            "Now: measured load on the datasheet curve, else the measured trend (least squares, after the last refill).",
            "Design and worst case: configured load or planning figure.",
            "A function lasts as long as the shortest link in its dependency chain.",
        ];
        /// Heading of the measured evidence.
        evidence_heading: &'static str = "Uppmätt underlag", "Measured evidence";
        /// Lowest endurance in the period (label).
        min_endurance: &'static str = "Lägsta uthållighet under perioden", "Lowest endurance in the period";
        /// Caption of the endurance chart.
        chart_endurance: &'static str = "uthållighet h (streckat: målbild)", "endurance h (dashed: target)";
        /// Stock at the start and end (label).
        stock_span: &'static str = "Lager vid periodens början och slut", "Stock at the start and end of the period";
        /// Caption of the stock chart: `{unit}`.
        chart_stock: &'static str = "lager {unit}", "stock {unit}";
        /// Caption of the consumption chart: `{unit}`.
        chart_consumption: &'static str = "uppmätt förbrukning {unit}/h", "measured consumption {unit}/h";
        /// No refills.
        no_refills: &'static str = "Inga påfyllningar under perioden.", "No refills in the period.";
        /// Refills (label).
        refills: &'static str = "Påfyllningar", "Refills";
        /// Heading of the coverage.
        coverage_heading: &'static str = "Datatäckning", "Data coverage";
        /// What coverage means.
        coverage_intro: &'static str =
            "Andel av perioden som ligger i minuter med giltiga värden (en minut som perioden bara delvis omfattar räknas med sin del). En siffra utan täckning är inget underlag.",
            "Share of the period lying in minutes with good data (a minute the period covers only in part counts with that part). A figure without coverage is not evidence.";
        /// Coverage columns.
        coverage_columns: [&'static str; 3] = ["Punkt", "Namn", "Täckning"], ["Point", "Name", "Coverage"];
        /// Name of a reserve's or function's endurance point: `{name}`.
        endurance_of: &'static str = "Uthållighet {name}", "Endurance {name}";
        /// Heading of the alarms.
        alarms_heading: &'static str = "Larm under perioden", "Alarms in the period";
        /// No alarms.
        no_alarms: &'static str = "Inga larm.", "No alarms.";
        /// Alarm columns.
        alarm_columns: [&'static str; 4] = ["Tid", "Larm", "Händelse", "Text"], ["Time", "Alarm", "Event", "Text"];
        /// Heading of the assessment.
        assessment_heading: &'static str = "Nulägesanalys, målbild och gapanalys", "Current state, target and gap analysis";
        /// No assessment columns.
        no_columns: &'static str = "Inga kolumner konfigurerade ([report] columns).", "No columns configured ([report] columns).";
        /// First assessment column.
        supply_system: &'static str = "Försörjningssystem", "Supply system";
        /// Heading of the signatures.
        signatures_heading: &'static str = "Underskrifter", "Signatures";
        /// Under a signature line.
        name_date: &'static str = "Namn, datum", "Name, date";
        /// Assumption: the device's own remaining time.
        assume_runtime: &'static str =
            "enhetens egen beräkning av återstående tid vid aktuell last",
            "the device's own calculation of the remaining time at the present load";
        /// Assumption: measured load, `{load}`, `{unit}`, `{running}`, `{units}`.
        assume_load_now: &'static str =
            "uppmätt last {load} {unit} ({running} av {units} enheter i drift), förbrukning enligt datablad",
            "measured load {load} {unit} ({running} of {units} units running), consumption from the datasheet";
        /// Assumption: the measured trend, `{rate}`, `{unit}`.
        assume_trend_now: &'static str = "uppmätt förbrukning {rate} {unit}/h (trend)", "measured consumption {rate} {unit}/h (trend)";
        /// Assumption: nothing measured.
        assume_nothing_measured: &'static str = "ingen mätning", "nothing measured";
        /// Assumption: the design load spread over the units, `{load}`, `{unit}`, `{units}`.
        assume_load_design: &'static str =
            "planerad last vid höjd beredskap {load} {unit} fördelad på {units} enheter, förbrukning enligt datablad",
            "planned load at heightened alert {load} {unit} spread over {units} units, consumption from the datasheet";
        /// Assumption: the worst-case load spread over the units, `{load}`, `{unit}`, `{units}`.
        assume_load_worst: &'static str =
            "värsta fall {load} {unit} fördelad på {units} enheter, förbrukning enligt datablad",
            "worst case {load} {unit} spread over {units} units, consumption from the datasheet";
        /// Assumption: the measured trend assumed to hold, `{rate}`, `{unit}`.
        assume_trend: &'static str = "uppmätt förbrukning {rate} {unit}/h (trend) antas gälla", "measured consumption {rate} {unit}/h (trend) assumed to hold";
        /// Assumption: no model for the scenario.
        assume_no_model: &'static str = "ingen modell för scenariot", "no model for the scenario";
        /// Assumption: a planning figure, `{per_day}`, `{unit}`, `{per}`, `{count}`.
        assume_planning: &'static str = "{per_day} {unit}/{per} och dygn × {count} st", "{per_day} {unit}/{per} per day × {count}";
        /// Assumption: a planning figure with its source, `{per_day}`, `{unit}`, `{per}`,
        /// `{count}`, `{source}`.
        assume_planning_source: &'static str =
            "{per_day} {unit}/{per} och dygn × {count} st ({source})",
            "{per_day} {unit}/{per} per day × {count} ({source})";
        /// What "now" is: `{at}` (local time), `{secs}` (how old a reading may be).
        now_basis: &'static str =
            "Nu = läget vid periodens slut, {at}: de senaste mätvärdena före den tidpunkten (högst {secs} s gamla) och trenden under mätfönstret dessförinnan, beräknat som den löpande uthålligheten (endurance.<id>).",
            "Now = the state at the end of the period, {at}: the newest readings before that instant (at most {secs} s old) and the trend over the measuring window before it, computed as live endurance (endurance.<id>) is.";
        /// Points whose raw readings were pruned: `{list}`.
        now_from_rollups: &'static str =
            "Rådata är gallrade för {list}: minutmedelvärden används i stället.",
            "Raw readings have been pruned for {list}: 1-minute means are used instead.";
        /// Points without current readings: `{list}`.
        now_stale: &'static str =
            "Inga aktuella mätvärden vid periodens slut för {list}: de räknas som okända.",
            "No current readings at the end of the period for {list}: they count as unknown.";
    }
}
