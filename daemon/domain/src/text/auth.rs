//! The web screen's logins and the alarm console's actions: the header's sign-in line, the login
//! page, refusals, and the acknowledge / shelve / unshelve forms.

texts! {
    /// Every word of logins and alarm actions on the web screen.
    pub struct Auth {
        /// The header when signed in: `{name}`, `{role}`.
        signed_in: &'static str = "Inloggad: {name} ({role})", "Signed in: {name} ({role})";
        /// The operator role in words.
        role_operator: &'static str = "operatör", "operator";
        /// The coordinator role in words.
        role_coordinator: &'static str = "samordnare", "coordinator";
        /// The sign-out button.
        log_out: &'static str = "Logga ut", "Sign out";
        /// The sign-in link and the login page's title and button.
        log_in: &'static str = "Logga in", "Sign in";
        /// The name field.
        name: &'static str = "Namn", "Name";
        /// The password field.
        password: &'static str = "Lösenord", "Password";
        /// Under the login form.
        login_hint: &'static str =
            "Operatörer kvitterar och parkerar larm; samordnare leder också övningar. Den som har API-nyckeln kan ange den som lösenord med sitt namn.",
            "Operators acknowledge and shelve alarms; coordinators also run exercises. Whoever has the API token may give it as the password, with their name.";
        /// A failed login (never says which of the two was wrong).
        login_failed: &'static str = "Fel namn eller lösenord.", "Wrong name or password.";
        /// Too many failed logins: `{time}` (the site's local time when to try again).
        too_many: &'static str =
            "För många misslyckade inloggningar. Försök igen kl. {time}.",
            "Too many failed sign-ins. Try again at {time}.";
        /// Already signed in, on the login page: `{name}`.
        already: &'static str = "Du är inloggad som {name}.", "You are signed in as {name}.";
        /// Title of a refusal page.
        refused: &'static str = "Inte tillåtet", "Not allowed";
        /// Refused: not signed in as an operator (or coordinator).
        need_operator: &'static str =
            "Att kvittera och parkera larm kräver inloggning som operatör.",
            "Acknowledging and shelving alarms needs an operator sign-in.";
        /// Refused: the form's CSRF token is missing or wrong.
        bad_csrf: &'static str =
            "Formuläret var inaktuellt eller kom inte från den här sidan. Ladda om sidan och försök igen.",
            "The form was out of date or did not come from this page. Reload the page and try again.";
        /// Refused: the request came from another site (`Origin`).
        bad_origin: &'static str =
            "Begäran kom från en annan webbplats och avvisades.",
            "The request came from another site and was refused.";
        /// Back to the alarm console.
        back: &'static str = "Tillbaka till larmkonsolen", "Back to the alarm console";
        /// For anonymous viewers under the console.
        sign_in_to_act: &'static str = "Logga in som operatör för att kvittera och parkera larm.", "Sign in as an operator to acknowledge and shelve alarms.";
        /// The console's action column.
        action: &'static str = "Åtgärd", "Action";
        /// The acknowledge button.
        ack: &'static str = "Kvittera", "Acknowledge";
        /// The acknowledgement's comment field.
        comment: &'static str = "Kommentar (valfri)", "Comment (optional)";
        /// The shelve button (and the disclosure that opens its form).
        shelve: &'static str = "Parkera", "Shelve";
        /// The shelving's reason field.
        reason: &'static str = "Orsak", "Reason";
        /// The shelving's duration field.
        duration: &'static str = "Tid", "For";
        /// One hour.
        dur_1h: &'static str = "1 timme", "1 hour";
        /// Eight hours.
        dur_8h: &'static str = "8 timmar", "8 hours";
        /// A day.
        dur_24h: &'static str = "24 timmar", "24 hours";
        /// A week.
        dur_7d: &'static str = "7 dygn", "7 days";
        /// The unshelve button.
        unshelve: &'static str = "Återaktivera", "Unshelve";
        /// The action failed: title.
        failed: &'static str = "Åtgärden kunde inte utföras", "The action could not be done";
        /// No alarm has this id: `{id}`.
        unknown_alarm: &'static str = "Det finns inget larm {id}.", "There is no alarm {id}.";
        /// Nothing to acknowledge: `{id}`.
        nothing_to_ack: &'static str = "Larmet {id} har inget att kvittera (redan kvitterat).", "Alarm {id} has nothing to acknowledge (already acknowledged).";
        /// A shelving without a reason.
        reason_needed: &'static str = "Ange en orsak för att parkera larmet.", "Give a reason to shelve the alarm.";
        /// `driftvakt demo`'s sign-in line: `{role}`, `{name}`, `{password}` (made at start).
        demo_login: &'static str = "  inloggning {role}: namn {name}, lösenord {password}", "  sign-in {role}: name {name}, password {password}";
        /// The alarm service does not answer.
        service_down: &'static str = "Larmtjänsten svarar inte just nu.", "The alarm service does not answer right now.";
    }
}
