//! The host's choices made in the dashboard (hub name, PIN), kept in `desktop.toml` in the data
//! directory and read back at the next start, under flags and `HUBBUB_*` variables.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What the dashboard saves.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Saved {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
}

/// The settings file of a data directory.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("desktop.toml")
}

/// Writes the settings (the file is a `hubbub serve --config` file with only these keys).
pub fn save(data_dir: &Path, saved: &Saved) -> Result<(), String> {
    let text = toml::to_string(saved).map_err(|e| format!("cannot write the settings: {e}"))?;
    std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let file = path(data_dir);
    std::fs::write(&file, text).map_err(|e| format!("cannot write {}: {e}", file.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saved_settings_read_back_as_a_hub_config_file() {
        let dir = std::env::temp_dir().join(format!("hubbub-desktop-settings-{}", std::process::id()));
        save(&dir, &Saved { name: Some("Attic \"party\"".into()), pin: Some("4321".into()) }).unwrap();
        let file = hubbub_server::config::FileConfig::load(&path(&dir)).unwrap();
        let mut config = hubbub_server::Config::default();
        file.apply(&mut config);
        assert_eq!(config.name, "Attic \"party\"");
        assert_eq!(config.pin.as_deref(), Some("4321"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
