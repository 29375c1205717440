//! Which LLM answers: chosen by flags, else by the environment.
//!
//! The flags overlay the environment variables `ferromcp_llm::provider_from_vars` reads, so
//! the library's precedence, defaults and timeouts (`LLM_TIMEOUT_SECS`) apply unchanged:
//! `--provider anthropic` takes the key from `ANTHROPIC_API_KEY`, `--provider openai` from
//! `OPENAI_API_KEY` (optional for a local `--base-url`), and `--model` / `--base-url` win
//! over `*_MODEL` / `*_BASE_URL`.

use std::sync::Arc;

use ferromcp_llm::LlmProvider;

use crate::cli::{ProviderArg, ProviderOptions};

/// An LLM shared by every connection and the chat loop.
pub(crate) type SharedProvider = Arc<dyn LlmProvider>;

/// What to tell a user who has no provider configured.
macro_rules! how_to_configure {
    ($offline:literal) => {
        concat!(
            "no LLM provider is configured. Set ANTHROPIC_API_KEY (Anthropic), OPENAI_API_KEY \
             (OpenAI), or OPENAI_BASE_URL and OPENAI_MODEL (any OpenAI-compatible server: \
             llama.cpp, Ollama, vLLM, LM Studio); or pass --provider anthropic|openai with \
             --model and --base-url; ",
            $offline
        )
    };
}

/// What to tell a user who has no provider configured.
#[cfg(feature = "offline")]
pub(crate) const HOW_TO_CONFIGURE: &str = how_to_configure!(
    "or fetch the offline model with scripts/setup-model.sh (or point FERROMCP_MODEL_PATH at a \
     GGUF file)"
);

/// What to tell a user who has no provider configured.
#[cfg(not(feature = "offline"))]
pub(crate) const HOW_TO_CONFIGURE: &str =
    how_to_configure!("or build ferromcp with `--features offline` for a small local model");

/// The provider the flags and the environment name, `None` when neither names one.
///
/// This is the one place that decides which LLM the host uses; an offline model slots in
/// here as the fallback when nothing is configured (cargo feature `offline`).
pub(crate) fn provider_from_flags(
    options: &ProviderOptions,
) -> Result<Option<SharedProvider>, String> {
    provider_from_lookup(options, |name| std::env::var(name).ok())
}

/// [`provider_from_flags`] with the environment given as a lookup function.
fn provider_from_lookup(
    options: &ProviderOptions,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<SharedProvider>, String> {
    let set = |name: &str| env(name).is_some_and(|v| !v.trim().is_empty());
    // A base URL alone means an OpenAI-compatible server (the common local case).
    let kind = options
        .provider
        .or_else(|| options.base_url.as_ref().map(|_| ProviderArg::Openai));
    let model = options.model.clone();
    let base_url = options.base_url.clone();
    let lookup = |name: &str| -> Option<String> {
        match (kind, name) {
            // An explicit OpenAI choice must not be taken over by an Anthropic key.
            (Some(ProviderArg::Openai), "ANTHROPIC_API_KEY") => None,
            (Some(ProviderArg::Anthropic), "ANTHROPIC_BASE_URL") => {
                base_url.clone().or_else(|| env(name))
            }
            (Some(ProviderArg::Openai), "OPENAI_BASE_URL") => {
                base_url.clone().or_else(|| env(name))
            }
            (_, "ANTHROPIC_MODEL" | "OPENAI_MODEL") => model.clone().or_else(|| env(name)),
            _ => env(name),
        }
    };
    match kind {
        Some(ProviderArg::Anthropic) if !set("ANTHROPIC_API_KEY") => {
            return Err("--provider anthropic needs the API key in ANTHROPIC_API_KEY".into())
        }
        Some(ProviderArg::Openai)
            if lookup("OPENAI_BASE_URL").is_none() && !set("OPENAI_API_KEY") =>
        {
            return Err(
                "--provider openai needs OPENAI_API_KEY (for OpenAI's API) or a --base-url \
                 (for an OpenAI-compatible server)"
                    .into(),
            )
        }
        _ => {}
    }
    let provider = ferromcp_llm::provider_from_vars(lookup).map_err(|e| e.to_string())?;
    if let Some(provider) = provider {
        return Ok(Some(Arc::new(provider)));
    }
    Ok(offline_provider())
}

/// The fallback when nothing is configured: the offline model (cargo feature `offline`),
/// when its file is there (`scripts/setup-model.sh`, or `FERROMCP_MODEL_PATH`).
#[cfg(feature = "offline")]
fn offline_provider() -> Option<SharedProvider> {
    offline::OfflineModel::if_present().map(|m| Arc::new(m) as SharedProvider)
}

/// Without the `offline` feature there is no fallback.
#[cfg(not(feature = "offline"))]
fn offline_provider() -> Option<SharedProvider> {
    None
}

/// The offline model, loaded on its first request: a command that never samples (`list`,
/// say) does not pay for loading it.
#[cfg(feature = "offline")]
mod offline {
    use std::path::PathBuf;
    use std::sync::Arc;

    use ferromcp_llm::{LlmError, LlmProvider, LocalModelProvider};
    use ferromcp_protocol::types::{CreateMessageRequestParams, CreateMessageResult};
    use futures::future::BoxFuture;
    use tokio::sync::OnceCell;

    /// `LocalModelProvider`, loaded lazily.
    pub(super) struct OfflineModel {
        path: PathBuf,
        label: String,
        loaded: Arc<OnceCell<Result<LocalModelProvider, String>>>,
    }

    impl OfflineModel {
        /// The model named by `FERROMCP_MODEL_PATH`, or the one at the default place if
        /// that file exists. A named file that is missing is still returned: loading it
        /// then says which file is missing, instead of "no provider configured".
        pub(super) fn if_present() -> Option<OfflineModel> {
            let named =
                std::env::var_os(ferromcp_llm::MODEL_PATH_ENV).is_some_and(|v| !v.is_empty());
            let path = ferromcp_llm::model_path_from_env();
            if !named && !path.is_file() {
                return None;
            }
            Some(OfflineModel {
                label: ferromcp_llm::model_label(&path),
                path,
                loaded: Arc::new(OnceCell::new()),
            })
        }
    }

    impl LlmProvider for OfflineModel {
        fn name(&self) -> &str {
            "local"
        }

        fn model(&self) -> &str {
            &self.label
        }

        fn complete(
            &self,
            params: CreateMessageRequestParams,
        ) -> BoxFuture<'static, Result<CreateMessageResult, LlmError>> {
            let loaded = self.loaded.clone();
            let path = self.path.clone();
            Box::pin(async move {
                let provider = loaded
                    .get_or_init(|| async move {
                        tokio::task::spawn_blocking(move || {
                            LocalModelProvider::load(&path).map_err(|e| e.to_string())
                        })
                        .await
                        .unwrap_or_else(|e| Err(format!("loading the model failed: {e}")))
                    })
                    .await;
                match provider {
                    Ok(provider) => provider.complete(params).await,
                    Err(message) => Err(LlmError::Config(message.clone())),
                }
            })
        }
    }
}

/// `anthropic (model claude-…)`, for messages.
pub(crate) fn describe(provider: &dyn LlmProvider) -> String {
    format!("{} (model {})", provider.name(), provider.model())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn pick(options: ProviderOptions, vars: &[(&str, &str)]) -> Result<Option<String>, String> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        provider_from_lookup(&options, |name| vars.get(name).cloned())
            .map(|p| p.map(|p| describe(&*p)))
    }

    fn flags(
        provider: Option<ProviderArg>,
        model: Option<&str>,
        base: Option<&str>,
    ) -> ProviderOptions {
        ProviderOptions {
            provider,
            model: model.map(str::to_owned),
            base_url: base.map(str::to_owned),
        }
    }

    #[test]
    fn the_environment_decides_without_flags() {
        assert_eq!(
            pick(flags(None, None, None), &[]).unwrap(),
            offline_provider().map(|p| describe(&*p))
        );
        assert_eq!(
            pick(flags(None, None, None), &[("ANTHROPIC_API_KEY", "k")])
                .unwrap()
                .unwrap(),
            format!(
                "anthropic (model {})",
                ferromcp_llm::DEFAULT_ANTHROPIC_MODEL
            )
        );
        assert_eq!(
            pick(
                flags(None, Some("m2"), None),
                &[
                    ("OPENAI_BASE_URL", "http://127.0.0.1:1/v1"),
                    ("OPENAI_MODEL", "m1")
                ]
            )
            .unwrap()
            .unwrap(),
            "openai-compatible (model m2)"
        );
    }

    #[test]
    fn flags_choose_and_explain() {
        assert_eq!(
            pick(
                flags(None, Some("local"), Some("http://127.0.0.1:1/v1")),
                &[]
            )
            .unwrap()
            .unwrap(),
            "openai-compatible (model local)"
        );
        assert_eq!(
            pick(
                flags(
                    Some(ProviderArg::Openai),
                    Some("gpt"),
                    Some("http://127.0.0.1:1/v1")
                ),
                &[("ANTHROPIC_API_KEY", "k")]
            )
            .unwrap()
            .unwrap(),
            "openai-compatible (model gpt)"
        );
        assert!(pick(flags(Some(ProviderArg::Anthropic), None, None), &[])
            .unwrap_err()
            .contains("ANTHROPIC_API_KEY"));
        assert!(pick(flags(Some(ProviderArg::Openai), None, None), &[])
            .unwrap_err()
            .contains("--base-url"));
        // A custom server needs a model name; the library says so.
        assert!(pick(flags(None, None, Some("http://127.0.0.1:1/v1")), &[])
            .unwrap_err()
            .contains("OPENAI_MODEL"));
    }
}
