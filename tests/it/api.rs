//! Open API v1: org-key authentication, problem details, tenant isolation, the OpenAPI
//! document.

use crate::support::{Client, TestApp};

on_all_backends!(
    api_needs_a_valid_key,
    api_manages_services,
    api_keys_never_cross_orgs,
    openapi_document_matches_the_routes
);

async fn new_key(c: &mut Client) -> String {
    c.get("/admin/org").await;
    let r = c
        .post_form("/admin/org/api-key", &[("confirm", "on")])
        .await;
    r.body
        .split("<code id=\"new-key\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_string()
}

async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<serde_json::Value>,
) -> (u16, String, serde_json::Value) {
    let mut c = app.client();
    if let Some(k) = key {
        c = c.header("x-oc-org-key", k);
    }
    let r = match (method, body) {
        ("GET", _) => c.get(path).await,
        (m, b) => {
            let req = actix_web::test::TestRequest::default()
                .method(m.parse().unwrap())
                .uri(path);
            let req = match b {
                Some(b) => req
                    .insert_header(("content-type", "application/json"))
                    .set_payload(b.to_string()),
                None => req,
            };
            c.send_request(req).await
        }
    };
    let ctype = r.header("content-type").unwrap_or("").to_string();
    let json = serde_json::from_str(&r.body).unwrap_or(serde_json::Value::Null);
    (r.status, ctype, json)
}

fn service_body(id: &str) -> serde_json::Value {
    serde_json::json!({"kind": "counseling", "name": "Api service", "service_id": id, "languages": ["ja", "ko"], "timezone": "Asia/Tokyo", "editor": "text"})
}

async fn api_needs_a_valid_key(app: TestApp) {
    let mut c = app.admin("apikey").await;
    for key in [None, Some("wrong"), Some("")] {
        let (status, ctype, json) = call(&app, "GET", "/api/v1/services", key, None).await;
        assert_eq!(status, 401);
        assert_eq!(ctype, "application/problem+json");
        assert_eq!(json["status"], 401);
        assert!(json["title"].is_string() && json["type"].is_string());
    }
    let old = new_key(&mut c).await;
    assert_eq!(
        call(&app, "GET", "/api/v1/services", Some(&old), None)
            .await
            .0,
        200
    );
    let new = new_key(&mut c).await;
    assert_eq!(
        call(&app, "GET", "/api/v1/services", Some(&old), None)
            .await
            .0,
        401,
        "an old key stops working"
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/services", Some(&new), None)
            .await
            .0,
        200
    );
    // Unknown API paths and methods answer problem details too.
    let (status, ctype, _) = call(&app, "GET", "/api/v2/nothing", Some(&new), None).await;
    assert_eq!((status, ctype.as_str()), (404, "application/problem+json"));
    let (status, ctype, _) = call(
        &app,
        "PATCH",
        "/api/v1/services",
        Some(&new),
        Some(serde_json::json!({})),
    )
    .await;
    assert!(status == 404 || status == 405, "{status}");
    assert_eq!(ctype, "application/problem+json");
}

async fn api_manages_services(app: TestApp) {
    let mut c = app.admin("apisvc").await;
    let key = new_key(&mut c).await;
    let k = Some(key.as_str());
    let (status, _, json) = call(
        &app,
        "POST",
        "/api/v1/services",
        k,
        Some(service_body("apione")),
    )
    .await;
    assert_eq!(status, 201, "{json}");
    assert_eq!(json["service_id"], "apione");
    assert_eq!(json["languages"], serde_json::json!(["ja", "ko"]));
    assert_eq!(json["status"], "active");
    let (status, _, json) = call(
        &app,
        "POST",
        "/api/v1/services",
        k,
        Some(service_body("APIONE")),
    )
    .await;
    assert_eq!(status, 409, "{json}");
    let bad = serde_json::json!({"kind": "robot", "name": "", "service_id": "a1", "languages": [], "timezone": "x", "editor": "y"});
    let (status, ctype, json) = call(&app, "POST", "/api/v1/services", k, Some(bad)).await;
    assert_eq!((status, ctype.as_str()), (422, "application/problem+json"));
    for f in [
        "kind",
        "name",
        "service_id",
        "languages",
        "timezone",
        "editor",
    ] {
        assert!(json["errors"][f].is_array(), "{f}: {json}");
    }
    let mut c2 = app.client().header("x-oc-org-key", &key);
    let r = c2
        .post_raw("/api/v1/services", "{not json".into(), "application/json")
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    let (status, _, json) = call(&app, "GET", "/api/v1/services", k, None).await;
    assert_eq!(status, 200);
    assert_eq!(json["services"].as_array().map(Vec::len), Some(1));
    let (status, _, json) = call(&app, "GET", "/api/v1/services/apione", k, None).await;
    assert_eq!((status, json["name"].as_str()), (200, Some("Api service")));
    assert_eq!(
        call(&app, "GET", "/api/v1/services/nope", k, None).await.0,
        404
    );
    let change = serde_json::json!({"name": "Renamed", "languages": ["en"], "timezone": "UTC", "editor": "html"});
    let (status, _, json) = call(&app, "PUT", "/api/v1/services/apione", k, Some(change)).await;
    assert_eq!((status, json["name"].as_str()), (200, Some("Renamed")));
    // DELETE terminates, with the page's rule: suspended first.
    let (status, _, json) = call(&app, "DELETE", "/api/v1/services/apione", k, None).await;
    assert_eq!(status, 409, "{json}");
    let suspend = serde_json::json!({"name": "Renamed", "languages": ["en"], "timezone": "UTC", "editor": "html", "status": "suspended"});
    let (status, _, json) = call(&app, "PUT", "/api/v1/services/apione", k, Some(suspend)).await;
    assert_eq!((status, json["status"].as_str()), (200, Some("suspended")));
    assert_eq!(
        call(&app, "DELETE", "/api/v1/services/apione", k, None)
            .await
            .0,
        204
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/services/apione", k, None)
            .await
            .0,
        404
    );
    // The page sees what the API did.
    assert!(c.get("/admin/contracts").await.body.contains("Terminated"));
}

async fn api_keys_never_cross_orgs(app: TestApp) {
    let mut a = app.admin("orga").await;
    let mut b = app.admin("orgb").await;
    let ka = new_key(&mut a).await;
    let kb = new_key(&mut b).await;
    assert_eq!(
        call(
            &app,
            "POST",
            "/api/v1/services",
            Some(&ka),
            Some(service_body("shared"))
        )
        .await
        .0,
        201
    );
    assert_eq!(
        call(&app, "GET", "/api/v1/services/shared", Some(&kb), None)
            .await
            .0,
        404
    );
    assert_eq!(
        call(&app, "DELETE", "/api/v1/services/shared", Some(&kb), None)
            .await
            .0,
        404
    );
    let (_, _, json) = call(&app, "GET", "/api/v1/services", Some(&kb), None).await;
    assert_eq!(json["services"].as_array().map(Vec::len), Some(0));
    // The same ID in another org is another service.
    assert_eq!(
        call(
            &app,
            "POST",
            "/api/v1/services",
            Some(&kb),
            Some(service_body("shared"))
        )
        .await
        .0,
        201
    );
}

async fn openapi_document_matches_the_routes(app: TestApp) {
    let mut c = app.admin("oas").await;
    let key = new_key(&mut c).await;
    let (status, _, doc) = call(&app, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["info"]["title"].is_string());
    let paths = doc["paths"].as_object().unwrap();
    let mut listed: Vec<String> = Vec::new();
    for (path, item) in paths {
        for m in ["get", "post", "put", "delete", "patch"] {
            if item.get(m).is_some() {
                listed.push(format!("{} {path}", m.to_uppercase()));
            }
        }
    }
    listed.sort();
    assert_eq!(
        listed,
        vec![
            "DELETE /api/v1/services/{service_id}",
            "GET /api/v1/services",
            "GET /api/v1/services/{service_id}",
            "POST /api/v1/services",
            "PUT /api/v1/services/{service_id}",
        ]
    );
    // Every $ref resolves.
    let text = doc.to_string();
    for r in text.split("\"$ref\":\"#/").skip(1) {
        let target = r.split('"').next().unwrap();
        let mut node = &doc;
        for part in target.split('/') {
            node = &node[part];
        }
        assert!(!node.is_null(), "dangling $ref {target}");
    }
    // Each documented operation exists (none answers 404 for an unknown route or 405).
    call(
        &app,
        "POST",
        "/api/v1/services",
        Some(&key),
        Some(service_body("doc")),
    )
    .await;
    let order = [
        "GET /api/v1/services",
        "POST /api/v1/services",
        "GET /api/v1/services/{service_id}",
        "PUT /api/v1/services/{service_id}",
        "DELETE /api/v1/services/{service_id}",
    ];
    for op in order {
        let (m, p) = op.split_once(' ').unwrap();
        let p = p.replace("{service_id}", "doc");
        let body = match m {
            "POST" => Some(service_body("doctwo")),
            "PUT" => Some(
                serde_json::json!({"name": "D", "languages": ["en"], "timezone": "UTC", "editor": "html", "status": "suspended"}),
            ),
            _ => None,
        };
        let (status, _, _) = call(&app, m, &p, Some(&key), body).await;
        assert!(status < 300, "{op}: {status}");
    }
}
