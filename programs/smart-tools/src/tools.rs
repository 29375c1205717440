//! The tools. Every file access goes through `ctx.fs()`, which confines it to the
//! effective roots (the client's, within the operator's `--root` folders); every LLM call
//! goes through sampling (`ctx.create_message`, `ctx.sample_json_with`), which the SDK
//! sends to the client's model or, failing that, to the server's configured provider.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferromcp::prelude::*;
use ferromcp::server::{SampledJson, ServerBuilder};
use ferromcp_fs::{ConfinedFs, FileKind, FsError};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the operator set on the command line: the server's application state
/// ([`register`] gives it to the builder), which each tool takes as a `State<Settings>`
/// parameter, so two servers in one process can be configured differently.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `smart_read` summarizes files longer than this many characters.
    pub summarize_over_chars: usize,
    /// Largest file any tool reads, in bytes.
    pub max_file_bytes: u64,
    /// Most characters of file content put into one prompt (`--max-prompt-chars`; the rest
    /// is cut, and the model is told so).
    pub max_prompt_chars: usize,
    /// The `--root` folders (also the server's `allowed_roots`), for `roots_info`.
    pub configured_roots: Vec<PathBuf>,
    /// The longest `analyze_project` walks the roots (`--walk-seconds`).
    pub walk_budget: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            summarize_over_chars: 4000,
            max_file_bytes: 8 * 1024 * 1024,
            max_prompt_chars: 24_000,
            configured_roots: Vec::new(),
            walk_budget: std::time::Duration::from_secs(60),
        }
    }
}

/// Adds the tools to `builder`, with `settings` as their state.
pub fn register(builder: ServerBuilder, settings: Settings) -> ServerBuilder {
    builder
        .state(settings)
        .tool(smart_read)
        .tool(summarize)
        .tool(classify_file)
        .tool(smart_compare)
        .tool(roots_info)
        .tool(analyze_project)
        .tool(process_files)
}

/// Most entries `analyze_project` walks.
const MAX_WALK_ENTRIES: usize = 20_000;
/// Most paths `process_files` takes at once.
const MAX_PROCESS_FILES: usize = 1_000;

// ---- helpers -------------------------------------------------------------------------------

/// A file-access error as a tool error, with a hint when there are no roots at all.
fn fs_error(error: FsError) -> McpError {
    match error {
        FsError::NoRoots => McpError::tool(
            "file access refused: there are no roots (share a folder from the client; a client \
             that does not support roots gets the folders of smart-tools --root DIR)",
        ),
        other => McpError::tool(other.to_string()),
    }
}

/// Prefixes a tool error's message; other kinds (protocol errors, a 2026-07-28 input
/// round, a missing capability) pass through untouched so the framework can act on them.
fn explain(prefix: impl std::fmt::Display) -> impl FnOnce(McpError) -> McpError {
    move |error| match error {
        McpError::Tool(message) => McpError::Tool(format!("{prefix}: {message}")),
        other => other,
    }
}

/// Reads one file inside the roots, on the blocking pool: a read of up to
/// `max_file_bytes` (8 MiB by default) must not stall an async worker and every other
/// request it serves.
async fn read_text(
    ctx: &Context,
    settings: &Settings,
    fs: &Arc<ConfinedFs>,
    path: &str,
) -> Result<String, McpError> {
    let text = read_blocking(settings, fs, path).await?.map_err(fs_error)?;
    ctx.debug(format!("read {path} ({} bytes)", text.len()));
    Ok(text)
}

/// `fs.read_to_string(path)` on the blocking pool, up to `settings.max_file_bytes`.
async fn read_blocking(
    settings: &Settings,
    fs: &Arc<ConfinedFs>,
    path: &str,
) -> Result<Result<String, FsError>, McpError> {
    let (fs, path, max) = (fs.clone(), path.to_owned(), settings.max_file_bytes);
    tokio::task::spawn_blocking(move || fs.read_to_string(&path, max))
        .await
        .map_err(|e| McpError::tool(format!("the read stopped: {e}")))
}

/// At most `max` characters of `text` for a prompt, saying so when cut.
fn for_prompt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!(
            "{}\n[... cut: only the first {max} of {} characters are shown]",
            &text[..cut],
            text.chars().count()
        ),
        None => text.to_owned(),
    }
}

/// The language a file's name suggests, if any.
fn language_of(path: &str) -> Option<&'static str> {
    let name = Path::new(path).file_name()?.to_str()?;
    let by_name = match name {
        "Makefile" | "GNUmakefile" => Some("Makefile"),
        "Dockerfile" => Some("Dockerfile"),
        "Cargo.lock" => Some("TOML"),
        _ => None,
    };
    if by_name.is_some() {
        return by_name;
    }
    let extension = Path::new(name).extension()?.to_str()?.to_ascii_lowercase();
    Some(match extension.as_str() {
        "rs" => "Rust",
        "py" => "Python",
        "js" | "mjs" | "cjs" => "JavaScript",
        "ts" | "tsx" => "TypeScript",
        "go" => "Go",
        "java" => "Java",
        "kt" => "Kotlin",
        "c" | "h" => "C",
        "cc" | "cpp" | "cxx" | "hpp" => "C++",
        "cs" => "C#",
        "rb" => "Ruby",
        "php" => "PHP",
        "swift" => "Swift",
        "sh" | "bash" => "Shell",
        "md" | "markdown" => "Markdown",
        "rst" => "reStructuredText",
        "txt" => "plain text",
        "toml" => "TOML",
        "yaml" | "yml" => "YAML",
        "json" => "JSON",
        "html" | "htm" => "HTML",
        "css" => "CSS",
        "sql" => "SQL",
        "xml" => "XML",
        "csv" => "CSV",
        _ => return None,
    })
}

struct Stats {
    bytes: usize,
    chars: usize,
    lines: usize,
    words: usize,
}

fn stats(text: &str) -> Stats {
    Stats {
        bytes: text.len(),
        chars: text.chars().count(),
        lines: text.lines().count(),
        words: text.split_whitespace().count(),
    }
}

/// Asks for a completion (the client's model, or the server's provider) and returns the
/// answer's text and the model that wrote it.
async fn ask(
    ctx: &Context,
    system: &str,
    prompt: String,
    max_tokens: u32,
) -> Result<(String, String), McpError> {
    let mut params = CreateMessageRequestParams::from_prompt(prompt, max_tokens);
    params.system_prompt = Some(system.to_owned());
    let result = ctx.create_message(params).await?;
    let text = result.text_content().trim().to_owned();
    if text.is_empty() {
        return Err(McpError::tool(format!(
            "the model ({}) gave an empty answer",
            result.model
        )));
    }
    Ok((text, result.model))
}

// ---- smart_read ----------------------------------------------------------------------------

/// Reads a file inside the roots. Short files come back as they are; a long one is
/// summarized by an LLM (through sampling): its size, a two-sentence summary, three key
/// points and the file's purpose.
#[tool(read_only, title = "Smart read", scopes = ["files:read"])]
pub async fn smart_read(
    ctx: Context,
    settings: State<Settings>,
    /// The file: a path (relative paths start at the first root) or a `file://` URI.
    path: String,
) -> Result<String, McpError> {
    let fs = Arc::new(ctx.fs().await?);
    let text = read_text(&ctx, &settings, &fs, &path).await?;
    let stats = stats(&text);
    let threshold = settings.summarize_over_chars;
    if stats.chars <= threshold {
        ctx.info(format!(
            "{path}: {} characters, returned as is",
            stats.chars
        ));
        return Ok(text);
    }
    ctx.progress(1.0, 3.0).message("file read");
    ctx.info(format!(
        "{path}: {} characters, over {threshold}: asking a model for a summary",
        stats.chars
    ));
    let prompt = format!(
        "Summarize the file `{path}` ({} bytes, {} lines) for a developer. Answer in exactly \
         this format, and nothing else:\n\nSummary: <exactly two sentences>\nKey points:\n\
         - <first key point>\n- <second key point>\n- <third key point>\nPurpose: <one \
         sentence: what the file is for>\n\nThe file:\n{}",
        stats.bytes,
        stats.lines,
        for_prompt(&text, settings.max_prompt_chars)
    );
    ctx.progress(2.0, 3.0).message("sampling");
    let (summary, model) = ask(
        &ctx,
        "You summarize files accurately and briefly.",
        prompt,
        700,
    )
    .await
    .map_err(explain(format!("could not summarize {path}")))?;
    ctx.progress(3.0, 3.0).message("summarized");
    ctx.info(format!("{path}: summarized by {model}"));
    Ok(format!(
        "{path}: {} bytes, {} lines, {} characters (over {threshold}, so summarized by model \
         {model})\n\n{summary}",
        stats.bytes, stats.lines, stats.chars
    ))
}

// ---- summarize -----------------------------------------------------------------------------

/// Summarizes a text, or a file inside the roots, in at most `max_words` words (default
/// 100), with an LLM (through sampling). Give exactly one of `text` and `path`.
#[tool(read_only, title = "Summarize", scopes = ["files:read"])]
pub async fn summarize(
    ctx: Context,
    settings: State<Settings>,
    /// The text to summarize.
    text: Option<String>,
    /// A file to summarize instead: a path or a `file://` URI inside the roots.
    path: Option<String>,
    /// The most words the summary may have (1 to 2000; default 100).
    max_words: Option<u32>,
) -> Result<String, McpError> {
    let max_words = max_words.unwrap_or(100);
    if !(1..=2000).contains(&max_words) {
        return Err(McpError::tool(format!(
            "max_words must be between 1 and 2000, not {max_words}"
        )));
    }
    let (what, content) = match (text, path) {
        (Some(text), None) => ("text".to_owned(), text),
        (None, Some(path)) => {
            let fs = Arc::new(ctx.fs().await?);
            let content = read_text(&ctx, &settings, &fs, &path).await?;
            (format!("file `{path}`"), content)
        }
        _ => {
            return Err(McpError::tool(
                "give exactly one of `text` and `path` to summarize",
            ))
        }
    };
    if content.trim().is_empty() {
        return Err(McpError::tool(format!(
            "the {what} is empty: nothing to summarize"
        )));
    }
    ctx.info(format!(
        "summarizing the {what} ({} characters) in at most {max_words} words",
        content.chars().count()
    ));
    let prompt = format!(
        "Summarize the following {what} in at most {max_words} words. Answer with the summary \
         only.\n\n{}",
        for_prompt(&content, settings.max_prompt_chars)
    );
    // Words are about 1.4 tokens; leave room for a model that runs a little long.
    let max_tokens = (max_words * 2 + 64).min(4096);
    let (summary, model) = ask(
        &ctx,
        "You write faithful, concise summaries.",
        prompt,
        max_tokens,
    )
    .await
    .map_err(explain(format!("could not summarize the {what}")))?;
    let words: Vec<&str> = summary.split_whitespace().collect();
    let summary = if words.len() > max_words as usize {
        ctx.warning(format!(
            "the model wrote {} words; keeping the first {max_words}",
            words.len()
        ));
        format!("{} …", words[..max_words as usize].join(" "))
    } else {
        summary
    };
    Ok(format!("{summary}\n\n(summarized by model {model})"))
}

// ---- classify_file -------------------------------------------------------------------------

/// What kind of file it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    /// Program source code.
    SourceCode,
    /// Tests of source code.
    Test,
    /// Prose: READMEs, guides, notes.
    Documentation,
    /// Settings and manifests (TOML, YAML, INI, ...).
    Configuration,
    /// Data: CSV, JSON records, fixtures.
    Data,
    /// Shell or other automation scripts.
    Script,
    /// Build definitions (Makefile, Dockerfile, CI).
    Build,
    /// Anything else.
    Other,
}

/// A file's classification, as the model gives it and `classify_file` returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Classification {
    /// What kind of file it is.
    #[serde(rename = "type")]
    pub file_type: FileType,
    /// The programming, markup or data language (e.g. `Rust`, `Markdown`, `TOML`), or
    /// `none`.
    #[schemars(length(min = 1, max = 64))]
    pub language: String,
    /// How sure the classification is, from 0 to 1.
    #[schemars(range(min = 0.0, max = 1.0))]
    pub confidence: f64,
    /// One sentence on what the file contains.
    #[schemars(length(min = 1, max = 500))]
    pub description: String,
}

/// Classifies a file inside the roots with an LLM (through sampling): its type, language,
/// the model's confidence and a one-sentence description, as JSON checked against a
/// schema. A malformed answer gets one stricter retry, then the tool fails.
#[tool(read_only, title = "Classify a file", scopes = ["files:read"])]
pub async fn classify_file(
    ctx: Context,
    settings: State<Settings>,
    /// The file: a path or a `file://` URI inside the roots.
    path: String,
) -> Result<Json<Classification>, McpError> {
    let fs = Arc::new(ctx.fs().await?);
    let text = read_text(&ctx, &settings, &fs, &path).await?;
    let stats = stats(&text);
    let hint = language_of(&path)
        .map(|l| format!(" (its extension suggests {l})"))
        .unwrap_or_default();
    ctx.info(format!("classifying {path}"));
    let prompt = format!(
        "Classify the file `{path}`{hint}: {} bytes, {} lines. The file:\n{}",
        stats.bytes,
        stats.lines,
        for_prompt(&text, settings.max_prompt_chars)
    );
    let mut params = CreateMessageRequestParams::from_prompt(prompt, 400);
    params.system_prompt = Some("You classify files for a developer.".to_owned());
    let SampledJson {
        value,
        model,
        attempts,
    } = ctx
        .sample_json_with::<Classification>(params)
        .await
        .map_err(explain(format!("could not classify {path}")))?;
    ctx.info(format!(
        "{path}: classified by model {model} ({attempts} attempt{})",
        if attempts == 1 { "" } else { "s" }
    ));
    Ok(Json(value))
}

// ---- smart_compare -------------------------------------------------------------------------

/// Compares two files inside the roots: sizes and shared lines, and an LLM's account
/// (through sampling) of what they have in common and how they differ.
#[tool(read_only, title = "Smart compare", scopes = ["files:read"])]
pub async fn smart_compare(
    ctx: Context,
    settings: State<Settings>,
    /// The first file: a path or a `file://` URI inside the roots.
    path1: String,
    /// The second file.
    path2: String,
) -> Result<String, McpError> {
    let fs = Arc::new(ctx.fs().await?);
    let first = read_text(&ctx, &settings, &fs, &path1).await?;
    let second = read_text(&ctx, &settings, &fs, &path2).await?;
    ctx.progress(1.0, 2.0).message("files read");
    let (a, b) = (stats(&first), stats(&second));
    let lines1: HashSet<&str> = first.lines().collect();
    let lines2: HashSet<&str> = second.lines().collect();
    let shared = lines1.intersection(&lines2).count();
    let facts = format!(
        "{path1}: {} bytes, {} lines\n{path2}: {} bytes, {} lines\ndistinct lines in both: \
         {shared}; only in {path1}: {}; only in {path2}: {}",
        a.bytes,
        a.lines,
        b.bytes,
        b.lines,
        lines1.len() - shared,
        lines2.len() - shared
    );
    if first == second {
        ctx.progress(2.0, 2.0).message("identical");
        return Ok(format!("{facts}\n\nThe files are identical."));
    }
    ctx.info(format!("comparing {path1} and {path2} with a model"));
    let half = settings.max_prompt_chars / 2;
    let prompt = format!(
        "Compare two files. Say briefly what they have in common, the main differences, and \
         which one looks more complete or more recent if that can be told. At most 8 bullet \
         points.\n\nFile 1, `{path1}`:\n{}\n\nFile 2, `{path2}`:\n{}",
        for_prompt(&first, half),
        for_prompt(&second, half)
    );
    let (comparison, model) = ask(&ctx, "You compare files precisely.", prompt, 700)
        .await
        .map_err(explain(format!("could not compare {path1} and {path2}")))?;
    ctx.progress(2.0, 2.0).message("compared");
    Ok(format!(
        "{facts}\n\n{comparison}\n\n(compared by model {model})"
    ))
}

// ---- roots_info ----------------------------------------------------------------------------

/// Says which folders the tools may use (the effective roots) and where they come from:
/// the client's roots, the operator's `--root` folders, or both.
#[tool(read_only, idempotent, title = "Roots info", scopes = ["files:read"])]
pub async fn roots_info(ctx: Context, settings: State<Settings>) -> Result<String, McpError> {
    let client_roots = if ctx.client_capabilities().roots.is_some() {
        Some(ctx.list_roots().await?)
    } else {
        None
    };
    let fs = ctx.fs().await?;
    let configured = &settings.configured_roots;
    let mut out = String::new();
    let effective = fs.roots();
    out.push_str(&format!("Effective roots ({}):\n", effective.len()));
    if effective.is_empty() {
        out.push_str(
            "  none: every file access is refused (share a folder from the client, or start \
             smart-tools with --root DIR)\n",
        );
    }
    for root in &effective {
        let entries = fs
            .list_dir(root, 100_000)
            .map(|e| format!("{} entries", e.len()))
            .unwrap_or_else(|e| format!("not listable: {e}"));
        out.push_str(&format!("  {root} ({entries})\n"));
    }
    let source = match (
        client_roots.as_ref().map(|r| r.is_empty()),
        configured.is_empty(),
    ) {
        (Some(false), true) => "the client's roots",
        (Some(false), false) => "the client's roots, within the operator's --root folders",
        // Declaring roots and sharing none grants nothing, even under a ceiling.
        (Some(true), _) => "nothing: the client declares roots but shared none",
        (None, false) => "the operator's --root folders (the client does not offer roots)",
        (None, true) => "nothing: the client does not offer roots and no --root was given",
    };
    out.push_str(&format!("Source: {source}\n"));
    match &client_roots {
        None => out.push_str("Client roots: the client does not offer roots\n"),
        Some(roots) => {
            out.push_str(&format!("Client roots ({}):\n", roots.len()));
            for root in roots.iter() {
                let name = root
                    .name
                    .as_deref()
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default();
                out.push_str(&format!("  {}{name}\n", root.uri));
            }
        }
    }
    if configured.is_empty() {
        out.push_str("Operator roots (--root): none\n");
    } else {
        out.push_str(&format!("Operator roots (--root, {}):\n", configured.len()));
        for root in configured {
            out.push_str(&format!("  {}\n", root.display()));
        }
    }
    Ok(out)
}

// ---- analyze_project -----------------------------------------------------------------------

/// Walks every root (skipping what `.gitignore` files exclude, and `.git`) and reports the
/// files by language, their total size, the largest ones and the top-level layout, with
/// progress and log messages as it goes.
#[tool(read_only, title = "Analyze project", scopes = ["files:read"])]
pub async fn analyze_project(ctx: Context, settings: State<Settings>) -> Result<String, McpError> {
    let fs = ctx.fs().await?;
    // Thousands of blocking file-system calls for a big tree: keep them off the async
    // workers. Logs and progress are plain notifications, fine to send from that thread.
    let worker = ctx.clone();
    let budget = settings.walk_budget;
    let report = tokio::task::spawn_blocking(move || analyze(&worker, &fs, budget))
        .await
        .map_err(|e| McpError::tool(format!("the analysis stopped: {e}")))??;
    ctx.info("analysis done");
    Ok(report)
}

/// The work of `analyze_project`, on a blocking thread.
fn analyze(
    ctx: &Context,
    fs: &ConfinedFs,
    walk_budget: std::time::Duration,
) -> Result<String, McpError> {
    let roots: Vec<String> = fs.roots().iter().map(|r| r.to_string()).collect();
    ctx.info(format!(
        "walking {} root(s): {}",
        roots.len(),
        roots.join(", ")
    ));
    ctx.progress(0.5, None).message("walking");
    // The walk ends when the client cancels or the budget is spent, whatever the tree.
    let deadline = std::time::Instant::now() + walk_budget;
    let stop = || ctx.is_cancelled() || std::time::Instant::now() > deadline;
    let entries = match fs.walk_until(MAX_WALK_ENTRIES + 1, &stop) {
        Err(ferromcp_fs::FsError::WalkStopped) if ctx.is_cancelled() => {
            return Err(McpError::Cancelled)
        }
        Err(ferromcp_fs::FsError::WalkStopped) => {
            return Err(McpError::tool(format!(
                "the walk took longer than {} s (smart-tools --walk-seconds): share a smaller root",
                walk_budget.as_secs()
            )))
        }
        other => other.map_err(fs_error)?,
    };
    let truncated = entries.len() > MAX_WALK_ENTRIES;
    let entries = &entries[..entries.len().min(MAX_WALK_ENTRIES)];
    if truncated {
        ctx.warning(format!("stopped after {MAX_WALK_ENTRIES} entries"));
    }
    let files: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == FileKind::File)
        .collect();
    let dirs = entries.iter().filter(|e| e.kind == FileKind::Dir).count();
    let links = entries
        .iter()
        .filter(|e| e.kind == FileKind::Symlink)
        .count();
    ctx.info(format!(
        "found {} files, {dirs} directories, {links} symlinks (after .gitignore)",
        files.len()
    ));
    let total = files.len().max(1) as f64;
    ctx.progress(1.0, total + 1.0).message("measuring files");
    let mut by_language: BTreeMap<&str, (usize, u64)> = BTreeMap::new();
    let mut sizes: Vec<(u64, String)> = Vec::new();
    let mut total_bytes = 0u64;
    // Progress every ~5% of the files, so a big tree does not flood the client.
    let step = (files.len() / 20).max(1);
    for (i, entry) in files.iter().enumerate() {
        if ctx.is_cancelled() {
            return Err(McpError::Cancelled);
        }
        let absolute = Path::new(&roots[entry.root]).join(&entry.path);
        let shown = if roots.len() == 1 {
            entry.path.display().to_string()
        } else {
            absolute.display().to_string()
        };
        let len = match fs.metadata(&absolute.to_string_lossy()) {
            Ok(info) => info.len,
            Err(error) => {
                ctx.debug(format!("skipping {shown}: {error}"));
                continue;
            }
        };
        total_bytes += len;
        let language = language_of(&shown).unwrap_or("other");
        let slot = by_language.entry(language).or_default();
        slot.0 += 1;
        slot.1 += len;
        sizes.push((len, shown));
        if (i + 1) % step == 0 || i + 1 == files.len() {
            ctx.progress((i + 2) as f64, total + 1.0).message(format!(
                "{} of {} files",
                i + 1,
                files.len()
            ));
        }
    }
    sizes.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut out = format!(
        "Project in {}: {} files, {dirs} directories, {links} symlinks, {total_bytes} bytes \
         (.gitignore respected{})\n",
        roots.join(", "),
        files.len(),
        if truncated { "; listing cut" } else { "" }
    );
    out.push_str("\nBy language:\n");
    let mut languages: Vec<_> = by_language.into_iter().collect();
    languages.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then_with(|| a.0.cmp(b.0)));
    for (language, (count, bytes)) in languages {
        out.push_str(&format!("  {language}: {count} files, {bytes} bytes\n"));
    }
    out.push_str("\nLargest files:\n");
    for (len, path) in sizes.iter().take(5) {
        out.push_str(&format!("  {path}: {len} bytes\n"));
    }
    out.push_str("\nTop level:\n");
    for entry in entries.iter().filter(|e| e.path.components().count() == 1) {
        let marker = if entry.kind == FileKind::Dir { "/" } else { "" };
        out.push_str(&format!("  {}{marker}\n", entry.path.display()));
    }
    Ok(out)
}

// ---- process_files -------------------------------------------------------------------------

/// Reads each of the given files inside the roots and reports its size, lines, words and
/// language, with a progress notification per file. A file that cannot be read is
/// reported and the others still processed; the tool fails only when none could be read.
#[tool(read_only, title = "Process files", scopes = ["files:read", "files:process"])]
pub async fn process_files(
    ctx: Context,
    settings: State<Settings>,
    /// The files: paths or `file://` URIs inside the roots.
    paths: Vec<String>,
) -> Result<String, McpError> {
    if paths.is_empty() {
        return Err(McpError::tool("give at least one path"));
    }
    if paths.len() > MAX_PROCESS_FILES {
        return Err(McpError::tool(format!(
            "at most {MAX_PROCESS_FILES} paths at once, not {}",
            paths.len()
        )));
    }
    let fs = Arc::new(ctx.fs().await?);
    let count = paths.len();
    let mut lines = Vec::with_capacity(count);
    let (mut ok, mut total_words, mut total_lines) = (0usize, 0usize, 0usize);
    for (i, path) in paths.iter().enumerate() {
        if ctx.is_cancelled() {
            return Err(McpError::Cancelled);
        }
        match read_blocking(&settings, &fs, path).await?.map_err(fs_error) {
            Ok(text) => {
                let s = stats(&text);
                ok += 1;
                total_words += s.words;
                total_lines += s.lines;
                lines.push(format!(
                    "{path}: {} bytes, {} lines, {} words, {}",
                    s.bytes,
                    s.lines,
                    s.words,
                    language_of(path).unwrap_or("unknown language")
                ));
                ctx.info(format!("processed {path}"));
            }
            Err(error) => {
                ctx.warning(format!("{path}: {error}"));
                lines.push(format!("{path}: error: {error}"));
            }
        }
        ctx.progress((i + 1) as f64, count as f64)
            .message(format!("processed {path}"));
    }
    let report = format!(
        "{}\n\n{ok} of {count} files processed: {total_lines} lines, {total_words} words",
        lines.join("\n")
    );
    if ok == 0 {
        return Err(McpError::tool(report));
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferromcp::server::ServerConfig;

    /// A smart-tools server over `root` with `settings`, and a client connected to it in
    /// memory (declaring no roots, so the tools use the operator's `--root`).
    async fn connect(root: &Path, settings: Settings) -> ferromcp::client::ClientSession {
        let builder = McpServer::builder("smart-tools", "test").config(ServerConfig {
            allowed_roots: Some(vec![root.to_path_buf()]),
            ..ServerConfig::default()
        });
        let server = register(builder, settings).build();
        let (server_end, client_end) = ferromcp::transport::memory::pair();
        let _connection = server.serve(server_end);
        ferromcp::client::Client::builder("test", "1.0.0")
            .connect(client_end)
            .await
            .expect("connect")
    }

    #[tokio::test]
    async fn two_servers_in_one_process_keep_their_own_settings() {
        let (small_root, large_root) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let [small_root, large_root] =
            [&small_root, &large_root].map(|d| d.path().canonicalize().unwrap());
        for root in [&small_root, &large_root] {
            std::fs::write(root.join("notes.txt"), "a line of text\n".repeat(10)).unwrap();
        }
        let small = connect(
            &small_root,
            Settings {
                max_file_bytes: 20,
                configured_roots: vec![small_root.clone()],
                ..Settings::default()
            },
        )
        .await;
        let large = connect(
            &large_root,
            Settings {
                configured_roots: vec![large_root.clone()],
                ..Settings::default()
            },
        )
        .await;
        let args = serde_json::json!({"paths": ["notes.txt"]});
        let refused = small
            .call_tool("process_files", args.clone())
            .await
            .unwrap();
        assert_eq!(refused.is_error, Some(true), "{}", refused.text());
        assert!(
            refused.text().contains("notes.txt: error"),
            "{}",
            refused.text()
        );
        let read = large.call_tool("process_files", args).await.unwrap();
        assert_ne!(read.is_error, Some(true), "{}", read.text());
        assert!(
            read.text().contains("notes.txt: 150 bytes, 10 lines"),
            "{}",
            read.text()
        );
        // Each server reports its own `--root` folders.
        for (client, mine, other) in [
            (&small, &small_root, &large_root),
            (&large, &large_root, &small_root),
        ] {
            let info = client
                .call_tool("roots_info", serde_json::json!({}))
                .await
                .unwrap();
            let text = info.text();
            assert!(text.contains("Operator roots (--root, 1)"), "{text}");
            assert!(text.contains(&mine.display().to_string()), "{text}");
            assert!(!text.contains(&other.display().to_string()), "{text}");
        }
    }

    #[test]
    fn prompts_are_cut_on_character_boundaries() {
        assert_eq!(for_prompt("abc", 5), "abc");
        let cut = for_prompt("ééééé", 2);
        assert!(
            cut.starts_with("éé\n[... cut: only the first 2 of 5"),
            "{cut}"
        );
    }

    #[test]
    fn languages_come_from_names_and_extensions() {
        assert_eq!(language_of("src/main.rs"), Some("Rust"));
        assert_eq!(language_of("/x/README.MD"), Some("Markdown"));
        assert_eq!(language_of("Makefile"), Some("Makefile"));
        assert_eq!(language_of("notes"), None);
    }

    #[test]
    fn only_tool_errors_are_prefixed() {
        let tool = explain("reading x")(McpError::tool("boom"));
        assert_eq!(tool.to_string(), "reading x: boom");
        let cancelled = explain("reading x")(McpError::Cancelled);
        assert!(matches!(cancelled, McpError::Cancelled));
    }
}
