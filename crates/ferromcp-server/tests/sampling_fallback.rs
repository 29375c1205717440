//! Sampling that always has a model, and typed sampling, through a real client (in memory)
//! and a server whose provider talks to a stub OpenAI Chat Completions server on 127.0.0.1:
//! every [`SamplingPolicy`], a declining client, both eras, the 2026-07-28 memo of
//! provider answers across rounds, and `sample_json`'s repair round.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use ferromcp_client::{Client, ClientSession, Era, RootsHandle};
use ferromcp_llm::OpenAiCompatibleProvider;
use ferromcp_protocol::types::{CreateMessageRequestParams, CreateMessageResult, Root};
use ferromcp_protocol::{ErrorCode, ErrorObject};
use ferromcp_server::{Context, McpError, McpServer, NoArguments, SamplingPolicy, ToolDef};
use ferromcp_test_support::{openai, Reply, StubProvider};
use serde_json::{json, Value};

const STUB_MODEL: &str = "stub-served-model";
const CLIENT_MODEL: &str = "client-model";

/// A stub Chat Completions provider that answers from a script (then "provider says hi").
struct Stub {
    provider: StubProvider,
    script: Arc<Mutex<VecDeque<String>>>,
}

impl Stub {
    fn base_url(&self) -> String {
        self.provider.openai_base_url()
    }

    fn requests(&self) -> Vec<Value> {
        self.provider.bodies()
    }
}

async fn stub() -> Stub {
    let script = Arc::new(Mutex::new(VecDeque::<String>::new()));
    let answers = script.clone();
    let provider = StubProvider::at(openai::CHAT_COMPLETIONS_PATH, move |_| {
        let answer = answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or_else(|| "provider says hi".into());
        Reply::json(200, openai::text_completion(STUB_MODEL, &answer))
    })
    .await;
    Stub { provider, script }
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Prompt {
    prompt: String,
}

/// A review's verdict, what `sample_json` is asked for.
#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
struct Verdict {
    /// `good` or `bad`.
    label: Label,
    /// 1 to 5.
    #[schemars(range(min = 1, max = 5))]
    stars: u8,
}

#[derive(Debug, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Label {
    Good,
    Bad,
}

fn server(provider: Option<&Stub>, policy: SamplingPolicy) -> McpServer {
    let mut builder = McpServer::builder("fallback-test", "1.0.0")
        .sampling_policy(policy)
        .tool(ToolDef::new(
            "ask",
            |ctx: Context, args: Prompt| async move {
                let mut params = CreateMessageRequestParams::from_prompt(args.prompt, 100);
                params.system_prompt = Some("Be brief.".into());
                let result = ctx.create_message(params).await?;
                Ok::<_, McpError>(format!(
                    "{} | model={}",
                    result.text_content(),
                    result.model
                ))
            },
        ))
        .tool(ToolDef::new(
            "ask_then_roots",
            |ctx: Context, _: NoArguments| async move {
                // A provider answer first, then an ask to the client: on 2026-07-28 the
                // handler runs again after the roots round and must not pay twice.
                let answer = ctx.sample("first").await?;
                let roots = ctx.list_roots().await?;
                Ok::<_, McpError>(format!("{answer} | roots={}", roots.len()))
            },
        ))
        .tool(ToolDef::new(
            "keyed_twice",
            |ctx: Context, _: NoArguments| async move {
                // One input key, two provider answers: each must be its own.
                let keyed = ctx.with_input_key("q");
                let first = keyed.sample("one").await?;
                let second = keyed.sample("two").await?;
                let roots = ctx.list_roots().await?;
                Ok::<_, McpError>(format!("{first} / {second} | roots={}", roots.len()))
            },
        ))
        .tool(ToolDef::new(
            "verdict",
            |ctx: Context, args: Prompt| async move {
                let sampled = ctx
                    .sample_json_with::<Verdict>(CreateMessageRequestParams::from_prompt(
                        args.prompt,
                        100,
                    ))
                    .await?;
                Ok::<_, McpError>(format!(
                    "{:?} {} stars by {} in {} attempt(s)",
                    sampled.value.label, sampled.value.stars, sampled.model, sampled.attempts
                ))
            },
        ));
    if let Some(stub) = provider {
        builder = builder.sampling_provider(OpenAiCompatibleProvider::new(
            stub.base_url(),
            None,
            "requested-model",
        ));
    }
    builder.build()
}

type Script = Arc<Mutex<VecDeque<Result<String, String>>>>;

/// Connects a client (with a scripted sampling handler when `script` is given).
async fn connect(server: &McpServer, era: Era, script: Option<Script>) -> ClientSession {
    let (server_end, client_end) = ferromcp_transport::memory::pair();
    let _connection = server.serve(server_end);
    let mut builder = Client::builder("test-client", "1.0.0")
        .era(era)
        .roots(RootsHandle::new(vec![Root::new("file:///tmp", "tmp")]));
    if let Some(script) = script {
        builder = builder.sampling_handler(move |params: CreateMessageRequestParams| {
            let next = script.lock().unwrap().pop_front();
            async move {
                match next {
                    Some(Ok(text)) => Ok(CreateMessageResult::text(CLIENT_MODEL, text)),
                    Some(Err(refusal)) => {
                        Err(ErrorObject::new(ErrorCode::INVALID_REQUEST, refusal))
                    }
                    None => Ok(CreateMessageResult::text(
                        CLIENT_MODEL,
                        format!("client echoes {}", params.last_user_text().unwrap_or("")),
                    )),
                }
            }
        });
    }
    builder.connect(client_end).await.expect("connect")
}

fn script(answers: &[Result<&str, &str>]) -> Script {
    Arc::new(Mutex::new(
        answers
            .iter()
            .map(|a| a.map(str::to_owned).map_err(str::to_owned))
            .collect(),
    ))
}

async fn ask(client: &ClientSession, tool: &str, prompt: &str) -> (bool, String) {
    let result = client
        .call_tool(tool, json!({"prompt": prompt}))
        .await
        .expect("the call itself succeeds");
    (result.is_error == Some(true), result.text())
}

#[tokio::test]
async fn prefer_client_asks_a_client_that_can_sample_and_the_provider_otherwise() {
    let stub = stub().await;
    let server = server(Some(&stub), SamplingPolicy::PreferClient);
    for era in [Era::Stateful, Era::Stateless] {
        let sampling = connect(&server, era, Some(script(&[]))).await;
        assert_eq!(
            ask(&sampling, "ask", "hello").await,
            (false, "client echoes hello | model=client-model".into()),
            "{era:?}"
        );
        let no_sampling = connect(&server, era, None).await;
        assert_eq!(
            ask(&no_sampling, "ask", "hello").await,
            (false, format!("provider says hi | model={STUB_MODEL}")),
            "{era:?}"
        );
    }
    let requests = stub.requests();
    assert_eq!(
        requests.len(),
        2,
        "the provider answered only the clients without sampling"
    );
    assert_eq!(requests[0]["model"], "requested-model");
    assert_eq!(
        requests[0]["messages"],
        json!([{"role": "system", "content": "Be brief."}, {"role": "user", "content": "hello"}])
    );
}

#[tokio::test]
async fn a_declining_client_is_final_unless_the_policy_falls_back() {
    let stub = stub().await;
    let prefer = server(Some(&stub), SamplingPolicy::PreferClient);
    let client = connect(&prefer, Era::Stateful, Some(script(&[Err("user said no")]))).await;
    let (is_error, text) = ask(&client, "ask", "hello").await;
    assert!(is_error && text.contains("user said no"), "{text}");
    assert_eq!(stub.provider.request_count(), 0);

    let fallback = server(Some(&stub), SamplingPolicy::ProviderOnClientDecline);
    let client = connect(
        &fallback,
        Era::Stateful,
        Some(script(&[Err("user said no")])),
    )
    .await;
    assert_eq!(
        ask(&client, "ask", "hello").await,
        (false, format!("provider says hi | model={STUB_MODEL}"))
    );
    assert_eq!(stub.provider.request_count(), 1);
}

#[tokio::test]
async fn client_only_and_provider_only() {
    let stub = stub().await;
    let client_only = server(Some(&stub), SamplingPolicy::ClientOnly);
    let client = connect(&client_only, Era::Stateful, None).await;
    let (is_error, text) = ask(&client, "ask", "hello").await;
    assert!(is_error, "{text}");
    assert!(
        text.contains("did not declare the `sampling` capability"),
        "{text}"
    );
    assert!(
        !text.contains("provider"),
        "client-only never mentions a provider: {text}"
    );

    let provider_only = server(Some(&stub), SamplingPolicy::ProviderOnly);
    for era in [Era::Stateful, Era::Stateless] {
        let client = connect(&provider_only, era, Some(script(&[]))).await;
        assert_eq!(
            ask(&client, "ask", "hello").await,
            (false, format!("provider says hi | model={STUB_MODEL}")),
            "{era:?}"
        );
    }
    assert_eq!(stub.provider.request_count(), 2);

    let nothing = server(None, SamplingPolicy::ProviderOnly);
    let client = connect(&nothing, Era::Stateful, Some(script(&[]))).await;
    let (is_error, text) = ask(&client, "ask", "hello").await;
    assert!(is_error && text.contains("provider-only"), "{text}");
    assert!(text.contains("ServerBuilder::sampling_provider"), "{text}");
}

#[tokio::test]
async fn with_no_model_anywhere_the_error_says_how_to_configure_one() {
    let server = server(None, SamplingPolicy::PreferClient);
    let legacy = connect(&server, Era::Stateful, None).await;
    let (is_error, text) = ask(&legacy, "ask", "hello").await;
    assert!(is_error, "{text}");
    for hint in [
        "did not declare the `sampling` capability",
        "no LLM provider is configured",
        "ServerBuilder::sampling_provider",
        "ANTHROPIC_API_KEY",
        "OPENAI_BASE_URL with OPENAI_MODEL",
    ] {
        assert!(text.contains(hint), "{hint:?} missing from {text}");
    }
    // 2026-07-28 keeps its semantics: the request needed `sampling` and did not declare it.
    let modern = connect(&server, Era::Stateless, None).await;
    let error = modern
        .call_tool("ask", json!({"prompt": "hello"}))
        .await
        .expect_err("-32021");
    assert_eq!(
        error.code(),
        Some(ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY),
        "{error}"
    );
}

#[tokio::test]
async fn a_provider_answer_is_not_paid_for_again_in_a_later_round() {
    let stub = stub().await;
    let server = server(Some(&stub), SamplingPolicy::PreferClient);
    for era in [Era::Stateful, Era::Stateless] {
        let before = stub.provider.request_count();
        let client = connect(&server, era, None).await;
        let result = client
            .call_tool("ask_then_roots", json!({}))
            .await
            .expect("call");
        assert_eq!(result.text(), "provider says hi | roots=1", "{era:?}");
        assert_eq!(
            stub.provider.request_count(),
            before + 1,
            "{era:?}: one provider call, even though a 2026-07-28 handler runs twice"
        );
    }
}

#[tokio::test]
async fn sample_json_repairs_once_then_fails_clearly() {
    let server = server(None, SamplingPolicy::PreferClient);
    for era in [Era::Stateful, Era::Stateless] {
        let good = connect(
            &server,
            era,
            Some(script(&[Ok(
                "```json\n{\"label\": \"good\", \"stars\": 5}\n```",
            )])),
        )
        .await;
        assert_eq!(
            ask(&good, "verdict", "Great film").await,
            (false, "Good 5 stars by client-model in 1 attempt(s)".into()),
            "{era:?}"
        );

        let repaired = connect(
            &server,
            era,
            Some(script(&[
                Ok("It is good, five stars!"),
                Ok("Sorry: {\"label\": \"bad\", \"stars\": 2} is my answer."),
            ])),
        )
        .await;
        assert_eq!(
            ask(&repaired, "verdict", "Dull film").await,
            (false, "Bad 2 stars by client-model in 2 attempt(s)".into()),
            "{era:?}"
        );

        let hopeless = connect(
            &server,
            era,
            Some(script(&[
                Ok("{\"label\": \"meh\", \"stars\": 3}"),
                Ok("{\"label\": \"good\", \"stars\": 9}"),
            ])),
        )
        .await;
        let (is_error, text) = ask(&hopeless, "verdict", "Odd film").await;
        assert!(is_error, "{era:?}: {text}");
        assert!(
            text.contains("did not answer with valid JSON after one repair round"),
            "{era:?}: {text}"
        );
        assert!(
            text.contains("/stars"),
            "{era:?}: names what was wrong: {text}"
        );
        assert!(text.contains("client-model"), "{era:?}: {text}");
    }
}

#[tokio::test]
async fn sample_json_works_with_the_provider_too() {
    let stub = stub().await;
    stub.script.lock().unwrap().extend([
        "not json".to_owned(),
        "{\"label\": \"good\", \"stars\": 4}".to_owned(),
    ]);
    let server = server(Some(&stub), SamplingPolicy::PreferClient);
    let client = connect(&server, Era::Stateful, None).await;
    assert_eq!(
        ask(&client, "verdict", "Nice").await,
        (
            false,
            format!("Good 4 stars by {STUB_MODEL} in 2 attempt(s)")
        )
    );
    let requests = stub.requests();
    assert_eq!(requests.len(), 2);
    let system = requests[0]["messages"][0]["content"].as_str().unwrap();
    assert!(
        system.contains("JSON Schema") && system.contains("\"stars\""),
        "{system}"
    );
    // The repair round shows the model its answer and what was wrong with it.
    let repair = requests[1]["messages"].as_array().unwrap();
    assert_eq!(
        repair[2],
        json!({"role": "assistant", "content": "not json"})
    );
    assert!(repair[3]["content"]
        .as_str()
        .unwrap()
        .starts_with("That answer is not valid: it contains no JSON value"));
    assert_eq!(requests[1]["temperature"], 0.0);
}

#[tokio::test]
async fn provider_answers_under_one_input_key_stay_apart() {
    let stub = stub().await;
    let server = server(Some(&stub), SamplingPolicy::PreferClient);
    for era in [Era::Stateful, Era::Stateless] {
        stub.script
            .lock()
            .unwrap()
            .extend(["A".to_owned(), "B".to_owned()]);
        let before = stub.provider.request_count();
        let client = connect(&server, era, None).await;
        let result = client
            .call_tool("keyed_twice", json!({}))
            .await
            .expect("call");
        assert_eq!(result.text(), "A / B | roots=1", "{era:?}");
        assert_eq!(stub.provider.request_count(), before + 2, "{era:?}");
    }
}

/// A server whose provider answers everything, under `config`'s budgets.
fn budgeted_server(stub: &Stub, config: ferromcp_server::ServerConfig) -> McpServer {
    McpServer::builder("budget-test", "1.0.0")
        .config(config)
        .sampling_policy(SamplingPolicy::ProviderOnly)
        .sampling_provider(OpenAiCompatibleProvider::new(
            stub.base_url(),
            None,
            "requested-model",
        ))
        .tool(ToolDef::new(
            "ask",
            |ctx: Context, args: Prompt| async move { ctx.sample(args.prompt).await },
        ))
        .build()
}

/// Connects a client that cannot sample, as `principal` when given.
async fn connect_as(server: &McpServer, era: Era, principal: Option<&str>) -> ClientSession {
    let (server_end, client_end) = ferromcp_transport::memory::pair();
    let options = ferromcp_server::SessionOptions {
        principal: principal.map(str::to_owned),
        ..Default::default()
    };
    let _connection = server.serve_with_options(server_end, options);
    Client::builder("test-client", "1.0.0")
        .era(era)
        .connect(client_end)
        .await
        .expect("connect")
}

#[tokio::test]
async fn provider_calls_count_against_the_callers_budget_in_both_eras() {
    let stub = stub().await;
    // Stateful: per principal, across sessions; a new session is no new budget.
    let server = budgeted_server(
        &stub,
        ferromcp_server::ServerConfig {
            max_sampling_per_minute: Some(2),
            ..Default::default()
        },
    );
    let first = connect_as(&server, Era::Stateful, None).await;
    for _ in 0..2 {
        assert_eq!(
            ask(&first, "ask", "hi").await,
            (false, "provider says hi".into())
        );
    }
    let (refused, why) = ask(&first, "ask", "hi").await;
    assert!(refused, "{why}");
    assert!(
        why.contains("sampling limit reached (2 per minute)"),
        "{why}"
    );
    let second = connect_as(&server, Era::Stateful, None).await;
    let (refused, why) = ask(&second, "ask", "hi").await;
    assert!(
        refused && why.contains("sampling limit reached (2 per minute)"),
        "another anonymous session shares the budget: {why}"
    );
    let carol = connect_as(&server, Era::Stateful, Some("carol")).await;
    assert!(
        !ask(&carol, "ask", "hi").await.0,
        "carol has her own budget"
    );
    assert_eq!(
        stub.provider.request_count(),
        3,
        "the refused calls cost nothing"
    );

    // 2026-07-28: the same windows; callers without a principal share one.
    let server = budgeted_server(
        &stub,
        ferromcp_server::ServerConfig {
            max_sampling_per_minute: Some(2),
            ..Default::default()
        },
    );
    let alice = connect_as(&server, Era::Stateless, Some("alice")).await;
    let alice_again = connect_as(&server, Era::Stateful, Some("alice")).await;
    let bob = connect_as(&server, Era::Stateless, Some("bob")).await;
    assert!(!ask(&alice, "ask", "hi").await.0);
    assert!(!ask(&alice_again, "ask", "hi").await.0);
    let (refused, why) = ask(&alice, "ask", "hi").await;
    assert!(refused && why.contains("sampling limit reached"), "{why}");
    assert!(
        ask(&alice_again, "ask", "hi").await.0,
        "alice's stateful session shares her budget"
    );
    assert!(!ask(&bob, "ask", "hi").await.0, "bob has his own budget");
    let anonymous = connect_as(&server, Era::Stateless, None).await;
    let anonymous_too = connect_as(&server, Era::Stateless, None).await;
    assert!(!ask(&anonymous, "ask", "hi").await.0);
    assert!(!ask(&anonymous_too, "ask", "hi").await.0);
    assert!(
        ask(&anonymous, "ask", "hi").await.0,
        "anonymous callers share one budget"
    );
    assert_eq!(stub.provider.request_count(), 3 + 5);
}

#[tokio::test]
async fn the_server_wide_provider_budget_holds_every_principal() {
    assert_eq!(
        ferromcp_server::ServerConfig::default().max_provider_calls_per_minute,
        Some(600)
    );
    let stub = stub().await;
    let server = budgeted_server(
        &stub,
        ferromcp_server::ServerConfig {
            max_sampling_per_minute: Some(2),
            max_provider_calls_per_minute: Some(3),
            ..Default::default()
        },
    );
    for (i, era) in [Era::Stateful, Era::Stateless, Era::Stateful]
        .into_iter()
        .enumerate()
    {
        let client = connect_as(&server, era, Some(&format!("p{i}"))).await;
        assert!(!ask(&client, "ask", "hi").await.0, "p{i}");
    }
    for era in [Era::Stateful, Era::Stateless] {
        let client = connect_as(&server, era, Some("latecomer")).await;
        let (refused, why) = ask(&client, "ask", "hi").await;
        assert!(refused, "{why}");
        assert!(
            why.contains("the server's LLM (all callers together) limit reached (3 per minute)"),
            "{why}"
        );
    }
    assert_eq!(stub.provider.request_count(), 3);
}
