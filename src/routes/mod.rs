//! Every route of the service, composed here; each resource's handlers live in its own module.

pub mod auth;
pub mod capabilities;
pub mod clients;
pub mod events;
pub mod imports;
pub mod ops;
pub mod page;
pub mod reconcile;
pub mod reference;
pub mod stats;
pub mod suppliers;
pub mod users;
pub mod webhooks;

use utoipa_actix_web::{scope, service_config::ServiceConfig};

/// The route map. Handlers registered here with `.service()` are also collected into the OpenAPI
/// document, so an undocumented route cannot be added by accident.
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(page::index)
        .service(page::asset)
        .service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics)
        .service(ops::openapi_json)
        .service(auth::get_jwks)
        .service(scope::scope("/v1").configure(v1));
}

fn v1(cfg: &mut ServiceConfig) {
    cfg.service(auth::issue_token)
        .service(auth::revoke_token)
        .service(users::create_user)
        .service(users::list_users)
        .service(users::get_user)
        .service(users::update_user)
        .service(clients::create_client)
        .service(clients::list_clients)
        .service(clients::get_client)
        .service(clients::update_client)
        .service(suppliers::search::list_suppliers)
        .service(suppliers::search::supplier_facets)
        .service(suppliers::search::export_suppliers)
        .service(suppliers::matching::match_supplier)
        .service(suppliers::create_supplier)
        .service(suppliers::get_supplier)
        .service(suppliers::update_supplier)
        .service(suppliers::archive_supplier)
        .service(suppliers::workflow::submit_supplier)
        .service(suppliers::workflow::verify_supplier)
        .service(suppliers::workflow::reject_supplier)
        .service(suppliers::workflow::suspend_supplier)
        .service(suppliers::workflow::reinstate_supplier)
        .service(suppliers::history::supplier_history)
        .service(suppliers::matching::supplier_duplicates)
        .service(suppliers::merge::merge_supplier)
        .service(suppliers::owners::add_owner)
        .service(suppliers::owners::remove_owner)
        .service(capabilities::list_capabilities)
        .service(capabilities::create_capability)
        .service(capabilities::get_capability)
        .service(capabilities::update_capability)
        .service(reference::list_schemes)
        .service(reference::list_countries)
        .service(reference::list_identifier_systems)
        .service(events::list_events)
        .service(webhooks::create_webhook)
        .service(webhooks::list_webhooks)
        .service(webhooks::get_webhook)
        .service(webhooks::delete_webhook)
        .service(webhooks::list_deliveries)
        .service(reconcile::manifest)
        .service(reconcile::reconcile)
        .service(imports::create_import)
        .service(imports::get_import)
        .service(stats::coverage)
        .service(stats::summary)
        .service(stats::get_ladder)
        .service(stats::get_resilience);
}
