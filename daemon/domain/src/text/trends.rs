//! The web screen's system pages (a system's points, alarms and trends) and the reserves page
//! (every reserve's and function's endurance with what it is computed from). Shared words (the
//! navigation, stale values, endurance against target) are `web.rs`'s; the endurance report's
//! words `report.rs`'s.

texts! {
    /// Every word of the system and reserves pages.
    pub struct Trends {
        /// Link from an overview card to its system page.
        system_link: &'static str = "Punkter och trender", "Points and trends";
        /// A system id the configuration does not use: `{id}`.
        unknown_system: &'static str = "Inget system {id} i konfigurationen", "No system {id} in the configuration";
        /// Heading of the system page's points.
        points: &'static str = "Punkter", "Points";
        /// Heading of the system page's active alarms.
        active_alarms: &'static str = "Aktiva larm", "Active alarms";
        /// Heading of the trends.
        trends: &'static str = "Trender", "Trends";
        /// Label of the period choice.
        span_label: &'static str = "Period", "Period";
        /// The last hour.
        span_1h: &'static str = "Senaste timmen", "Last hour";
        /// The last day.
        span_24h: &'static str = "Senaste dygnet", "Last day";
        /// The last week.
        span_7d: &'static str = "Senaste veckan", "Last week";
        /// A stretch of a trend without any reading.
        no_data: &'static str = "inga data", "no data";
        /// A stretch of a trend with readings but none good.
        bad_quality: &'static str = "dålig kvalitet", "bad quality";
        /// A chart's text alternative: `{point}`, `{period}`, `{min}`, `{max}`, `{last}`.
        chart_summary: &'static str = "{point}, {period}: min {min}, max {max}, senast {last}", "{point}, {period}: min {min}, max {max}, last {last}";
        /// A chart's text alternative without good data: `{point}`, `{period}`.
        chart_empty: &'static str = "{point}, {period}: inga goda värden", "{point}, {period}: no good values";
        /// Under a chart: how many readings were drawn as how many points: `{readings}`, `{points}`.
        chart_drawn: &'static str = "{readings} värden, ritade som {points} punkter (min och max per intervall)", "{readings} values, drawn as {points} points (min and max per interval)";
        /// Under a chart: the gaps: `{list}`.
        chart_gaps: &'static str = "Luckor: {list}", "Gaps: {list}";
        /// One gap in that list: `{what}`, `{from}`, `{to}`.
        gap_item: &'static str = "{what} {from}–{to}", "{what} {from}–{to}";
        /// More gaps than listed: `{n}`.
        gaps_more: &'static str = "och {n} till", "and {n} more";
        /// A point whose values are text: no chart.
        no_chart_text: &'static str = "Textvärden ritas inte", "Text values are not charted";
        /// An alarm limit on a chart: `{level}` (HH, H, L, LL), `{limit}`.
        limit_caption: &'static str = "{level} {limit}", "{level} {limit}";
        /// The store could not be read: `{error}`.
        store_unreadable: &'static str = "Trenderna kunde inte läsas ur lagret: {error}", "The trends could not be read from the store: {error}";
        /// Reserves page heading.
        reserves_heading: &'static str = "Reserver och uthållighet", "Reserves and endurance";
        /// Reserves page lead.
        reserves_lead: &'static str = "Uthållighet nu (aktuell last och förbrukning) mot målbild, samma beräkning som översikten och larmen.", "Endurance now (present load and consumption) against target, the same computation as the overview and the alarms.";
        /// Heading of the reserves.
        reserves_list: &'static str = "Reserver", "Reserves";
        /// Heading of the functions.
        functions_list: &'static str = "Funktioner", "Functions";
        /// No reserve or function configured.
        none_configured: &'static str = "Inga reserver eller funktioner konfigurerade", "No reserves or functions configured";
        /// The target, a term.
        target: &'static str = "Målbild", "Target";
        /// The stock, a term.
        stock: &'static str = "Lager", "Stock";
        /// A stock: `{stock}` of `{capacity}`, `{usable}` usable.
        stock_of: &'static str = "{stock} av {capacity}, varav {usable} användbart", "{stock} of {capacity}, {usable} usable";
        /// The stock points, a term.
        stock_points: &'static str = "Lagerpunkter", "Stock points";
        /// The consumption, a term.
        draw: &'static str = "Förbrukning", "Consumption";
        /// The consumption derived from the figure: `{rate}` (with its unit per hour).
        draw_rate: &'static str = "{rate}/h (användbart lager ÷ uthållighet)", "{rate}/h (usable stock ÷ endurance)";
        /// Nothing is being drawn.
        draw_none: &'static str = "ingen förbrukning just nu", "nothing drawn right now";
        /// The load points, a term.
        load_points: &'static str = "Last", "Load";
        /// The model the figure is computed from, a term.
        model: &'static str = "Beräknas från", "Computed from";
        /// Load model.
        model_load: &'static str = "lastkurva (databladet) och uppmätt last", "load curve (datasheet) and measured load";
        /// Measured model.
        model_measured: &'static str = "uppmätt förbrukningstrend", "measured consumption trend";
        /// Planning model.
        model_planning: &'static str = "planeringsvärde", "planning figure";
        /// Runtime reserve (the stock is a time).
        model_runtime: &'static str = "enhetens egen drifttid", "the device's own runtime";
        /// A function's dependencies, a term.
        depends_on: &'static str = "Beror av", "Depends on";
        /// Unknown (no figure, no value).
        unknown: &'static str = "okänd", "unknown";
        /// A point not in the configuration: `{id}`.
        missing_point: &'static str = "{id} (saknas)", "{id} (missing)";
    }
}
