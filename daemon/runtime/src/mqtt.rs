//! The MQTT broker connection (`[mqtt]`), shared by every component that publishes: alarm
//! notification now, telemetry later. Each component opens its own client with its own client
//! id suffix (a broker drops the older of two clients with one id).

use std::time::Duration;

use driftvakt_config::model::MqttSettings;
use rumqttc::{LastWill, MqttOptions, QoS, TlsConfiguration, Transport};

/// Topic of the daemon's online/offline status: `<prefix>/status`.
pub fn status_topic(s: &MqttSettings) -> String {
    format!("{}/status", s.topic_prefix)
}

/// Client options for `s`: client id `<client_id><suffix>`, keep-alive, credentials, TLS with
/// the configured CA, clean session. With `will`, the broker publishes `offline` (retained,
/// QoS 1) on the status topic when the connection is lost.
pub fn options(s: &MqttSettings, suffix: &str, will: bool) -> Result<MqttOptions, String> {
    let mut o = MqttOptions::new(format!("{}{suffix}", s.client_id), s.host.clone(), s.port);
    // Mosquitto >= 2.0.12 rejects keep_alive = 0; the config guarantees >= 1 s.
    o.set_keep_alive(s.keep_alive.max(Duration::from_secs(1)));
    o.set_clean_session(true);
    o.set_max_packet_size(256 * 1024, 256 * 1024);
    if let Some(user) = &s.username {
        let pass = match &s.password {
            Some(secret) => secret.resolve().map_err(|e| format!("MQTT password: {e}"))?,
            None => String::new(),
        };
        o.set_credentials(user.clone(), pass);
    }
    if let Some(ca) = &s.tls_ca_file {
        let pem = std::fs::read(ca).map_err(|e| format!("cannot read MQTT CA file {}: {e}", ca.display()))?;
        o.set_transport(Transport::tls_with_config(TlsConfiguration::Simple { ca: pem, alpn: None, client_auth: None }));
    }
    if will {
        o.set_last_will(LastWill::new(status_topic(s), "offline", QoS::AtLeastOnce, true));
    }
    Ok(o)
}
