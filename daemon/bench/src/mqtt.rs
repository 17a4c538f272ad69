//! The broker settings every MQTT scenario of the bench uses: the local test broker on `port`.

use std::time::Duration;

use driftvakt_config::model::MqttSettings;

/// `[mqtt]` for the bench's own Mosquitto on 127.0.0.1:`port`, no login, no TLS.
pub fn local_broker(port: u16, topic_prefix: &str) -> MqttSettings {
    MqttSettings {
        enabled: true,
        host: "127.0.0.1".into(),
        port,
        client_id: "driftvakt-bench".into(),
        username: None,
        password: None,
        tls_ca_file: None,
        topic_prefix: topic_prefix.into(),
        keep_alive: Duration::from_secs(30),
    }
}
