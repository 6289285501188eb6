//! Shared helpers for the UI tests: a real router over a fresh data directory, staff
//! accounts, and a tiny cookie-keeping client that logs in through the login form.
#![allow(dead_code)]

use autonomo::app::{AppState, router};
use autonomo::auth::users::{self, NewUser, Role};
use autonomo::config::Config;
use autonomo::tenants::{BrandInput, Slug};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use tower::ServiceExt;

pub const PASSWORD: &str = "contraseña-segura-1";

pub struct App {
    pub router: Router,
    pub state: AppState,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// A logged-in browser: its session cookie and the CSRF token its pages carry.
#[derive(Clone, Debug)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

impl App {
    /// Two brands (gollos, eco) and one account per role; managers/staff/analysts in gollos.
    pub async fn new() -> App {
        // Server-side errors show in the failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("autonomo=warn")
            .with_test_writer()
            .try_init();
        let dir = tempfile::tempdir().unwrap();
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let state = AppState::open(config).unwrap();
        for (slug, name) in [("gollos", "Gollos Chicken's"), ("eco", "Eco Eterno")] {
            state
                .registry
                .create(BrandInput {
                    slug: slug.into(),
                    nombre: name.into(),
                    moneda: "PEN".into(),
                    zona_horaria: "America/Lima".into(),
                    pais: "PE".into(),
                    idioma: "es".into(),
                })
                .await
                .unwrap();
        }
        let gollos = Slug::parse("gollos").unwrap();
        for (email, role) in [
            ("owner@x.pe", Role::Owner),
            ("manager@x.pe", Role::Manager),
            ("staff@x.pe", Role::Staff),
            ("analyst@x.pe", Role::Analyst),
        ] {
            users::create(
                state.registry.control(),
                NewUser {
                    email: email.into(),
                    name: email.split('@').next().unwrap().into(),
                    role,
                    brands: if role == Role::Owner {
                        vec![]
                    } else {
                        vec![gollos.clone()]
                    },
                    password: PASSWORD.into(),
                    lang: "es".into(),
                },
            )
            .await
            .unwrap();
        }
        App {
            router: router(state.clone()),
            state,
            _dir: dir,
        }
    }

    pub async fn send(&self, req: Request<Body>) -> Reply {
        let resp = self.router.clone().oneshot(req).await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = axum::body::to_bytes(resp.into_body(), 16 * 1024 * 1024)
            .await
            .unwrap();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&self, path: &str, who: Option<&Browser>) -> Reply {
        let mut req = Request::builder().method(Method::GET).uri(path);
        if let Some(b) = who {
            req = req.header(header::COOKIE, &b.cookie);
        }
        self.send(req.body(Body::empty()).unwrap()).await
    }

    /// Posts a form; `csrf: true` adds the browser's token as `_csrf` like every page does.
    pub async fn post(
        &self,
        path: &str,
        who: Option<&Browser>,
        fields: &[(&str, &str)],
        csrf: bool,
    ) -> Reply {
        let mut pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let (Some(b), true) = (who, csrf) {
            pairs.push(("_csrf".into(), b.csrf.clone()));
        }
        let body = encode(&pairs);
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        if let Some(b) = who {
            req = req.header(header::COOKIE, &b.cookie);
        }
        self.send(req.body(Body::from(body)).unwrap()).await
    }

    /// Uploads a file as `archivo` in a multipart form (CSRF token first, as the page does).
    pub async fn upload(&self, path: &str, who: &Browser, bytes: &[u8]) -> Reply {
        let mut body = Vec::new();
        body.extend_from_slice(
            format!(
                "--B\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{}\r\n",
                who.csrf
            )
            .as_bytes(),
        );
        body.extend_from_slice(
            b"--B\r\nContent-Disposition: form-data; name=\"archivo\"; filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\n",
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n--B--\r\n");
        let req = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "multipart/form-data; boundary=B")
            .header(header::COOKIE, &who.cookie)
            .body(Body::from(body))
            .unwrap();
        self.send(req).await
    }

    /// Logs in through the real form and returns the browser, or the failed reply.
    pub async fn try_login(&self, email: &str, password: &str) -> Result<Browser, Reply> {
        let page = self.get("/login", None).await;
        let login_cookie = set_cookie(&page.headers, "autonomo_login").unwrap();
        let token = attr_value(&page.body, "name=\"_login\" value=\"").unwrap();
        let req = Request::builder()
            .method(Method::POST)
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("autonomo_login={login_cookie}"))
            .body(Body::from(encode(&[
                ("email".into(), email.into()),
                ("clave".into(), password.into()),
                ("_login".into(), token),
            ])))
            .unwrap();
        let reply = self.send(req).await;
        if reply.status != StatusCode::SEE_OTHER {
            return Err(reply);
        }
        let session = set_cookie(&reply.headers, "autonomo_sesion").unwrap();
        let cookie = format!("autonomo_sesion={session}");
        let home = self
            .get(
                "/m/gollos/resumen",
                Some(&Browser {
                    cookie: cookie.clone(),
                    csrf: String::new(),
                }),
            )
            .await;
        let csrf = attr_value(&home.body, "name=\"csrf-token\" content=\"").unwrap_or_default();
        Ok(Browser { cookie, csrf })
    }

    pub async fn login(&self, email: &str) -> Browser {
        match self.try_login(email, PASSWORD).await {
            Ok(b) => b,
            Err(r) => panic!("login {email} failed: {} {}", r.status, r.body),
        }
    }
}

pub fn encode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", pct(k), pct(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn pct(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value a `Set-Cookie` header gives cookie `name`.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|r| r.split(';').next().unwrap_or("").to_string())
        })
}

pub fn set_cookie_line(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_string)
}

/// The text after `prefix` up to the next `"`.
pub fn attr_value(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(prefix)? + prefix.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}
