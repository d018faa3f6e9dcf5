//! A data migration run once at start: recompute every campaign's uniqueness key with the
//! current [`engage_core::name_key`] (issue 9: default-ignorable and format characters no
//! longer count). Rows whose new key another campaign of the workspace already holds keep
//! their old key; each such collision is logged (both rows stay as they are) and recorded in
//! `data_migrations`, so an operator can rename one of the two.

use std::collections::{HashMap, HashSet};

use serde_json::json;

use super::{is_unique_violation, now_ms, on_pool, Store, StoreError};

/// Name of the migration in `data_migrations`.
pub const CAMPAIGN_NAME_KEYS_V2: &str = "campaign_name_keys_v2";

/// Two campaigns whose names now share a key; `kept_old_key` was left unchanged.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NameKeyCollision {
    pub workspace_id: String,
    pub campaign_id: String,
    pub kept_old_key: String,
    pub holder_id: String,
    pub key: String,
}

/// What [`recompute_once`] did; `None` when it had already run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct NameKeyReport {
    pub campaigns: usize,
    pub updated: usize,
    pub collisions: Vec<NameKeyCollision>,
}

/// Recomputes the campaign name keys unless this was already done on this database.
pub async fn recompute_once(store: &Store) -> Result<Option<NameKeyReport>, StoreError> {
    let done: Option<(String,)> = on_pool!(store, pool => sqlx::query_as(
        "SELECT name FROM data_migrations WHERE name = $1",
    )
    .bind(CAMPAIGN_NAME_KEYS_V2)
    .fetch_optional(pool)
    .await)?;
    if done.is_some() {
        return Ok(None);
    }
    let rows: Vec<(String, String, String, String)> = on_pool!(store, pool => sqlx::query_as(
        "SELECT id, workspace_id, name, name_key FROM campaigns ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await)?;
    let mut report = NameKeyReport {
        campaigns: rows.len(),
        ..NameKeyReport::default()
    };
    // Keys that stay: unchanged rows first, so that a changed row never takes the key of a
    // row that keeps it.
    let mut holders: HashMap<(String, String), String> = HashMap::new();
    let mut changed = Vec::new();
    for (id, workspace, name, old_key) in rows {
        let new_key = engage_core::name_key(&name);
        if new_key == old_key {
            holders.insert((workspace, old_key), id);
        } else {
            changed.push((id, workspace, old_key, new_key));
        }
    }
    let mut kept: HashSet<String> = HashSet::new();
    for (id, workspace, old_key, new_key) in changed {
        let slot = (workspace.clone(), new_key.clone());
        if let Some(holder) = holders.get(&slot) {
            report.collisions.push(NameKeyCollision {
                workspace_id: workspace,
                campaign_id: id.clone(),
                kept_old_key: old_key,
                holder_id: holder.clone(),
                key: new_key,
            });
            kept.insert(id);
            continue;
        }
        let updated = on_pool!(store, pool => sqlx::query(
            "UPDATE campaigns SET name_key = $1 WHERE id = $2",
        )
        .bind(&new_key)
        .bind(&id)
        .execute(pool)
        .await
        .map(|done| done.rows_affected()));
        match updated {
            Ok(_) => {
                report.updated += 1;
                holders.insert(slot, id);
            }
            Err(error) if is_unique_violation(&error) => {
                let holder: Option<(String,)> = on_pool!(store, pool => sqlx::query_as(
                    "SELECT id FROM campaigns WHERE workspace_id = $1 AND name_key = $2",
                )
                .bind(&workspace)
                .bind(&new_key)
                .fetch_optional(pool)
                .await)?;
                report.collisions.push(NameKeyCollision {
                    workspace_id: workspace,
                    campaign_id: id,
                    kept_old_key: old_key,
                    holder_id: holder.map(|(id,)| id).unwrap_or_default(),
                    key: new_key,
                });
            }
            Err(error) => return Err(error.into()),
        }
    }
    for collision in &report.collisions {
        tracing::warn!(
            workspace_id = %collision.workspace_id,
            campaign_id = %collision.campaign_id,
            same_name_as = %collision.holder_id,
            "two campaigns have names that differ only by invisible or compatibility characters; \
             both are kept (the newer keeps its old uniqueness key): rename one of them"
        );
    }
    if report.updated > 0 || !report.collisions.is_empty() {
        tracing::info!(
            campaigns = report.campaigns,
            updated = report.updated,
            collisions = report.collisions.len(),
            "recomputed campaign name keys"
        );
    }
    on_pool!(store, pool => sqlx::query(
        // Two instances starting together may both get here: the first record stands.
        "INSERT INTO data_migrations (name, applied_at, report) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(CAMPAIGN_NAME_KEYS_V2)
    .bind(now_ms())
    .bind(json!(report).to_string())
    .execute(pool)
    .await
    .map(|done| done.rows_affected()))?;
    Ok(Some(report))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewCampaign, NewSender};

    #[tokio::test]
    async fn keys_are_recomputed_once_and_collisions_are_reported_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        let workspace = store.create_workspace("W").await.unwrap();
        let sender = store
            .create_sender(NewSender {
                workspace_id: workspace,
                name: "S",
                phone: "+5511987654321",
                status: engage_core::wire::SenderStatus::Active,
                provider: engage_core::wire::ProviderKind::Sandbox,
            })
            .await
            .unwrap();
        let templates = crate::demo::import_templates(
            &store,
            workspace,
            include_str!("../demo/templates.json"),
        )
        .await
        .unwrap()
        .imported
        .into_iter()
        .map(|t| t.id)
        .collect::<Vec<_>>();
        // Rows as the old key function stored them: the soft hyphen and the zero-width
        // space were part of the key, so all three were accepted.
        let mut ids = Vec::new();
        for (name, old_key) in [
            ("Saldo Baixo", "saldo baixo"),
            ("Saldo\u{ad} Baixo", "saldo\u{ad} baixo"),
            ("Pro\u{200b}mo", "pro\u{200b}mo"),
        ] {
            ids.push(
                store
                    .create_campaign(
                        NewCampaign {
                            workspace_id: workspace,
                            name,
                            name_key: old_key,
                            campaign_type: engage_core::wire::CampaignType::Recurrent,
                            sender_id: sender,
                            template_id: templates[0],
                            frequency_cap: None,
                        },
                        &crate::store::AuditContext::system(workspace, "test"),
                    )
                    .await
                    .unwrap(),
            );
        }
        let report = recompute_once(&store).await.unwrap().expect("first run");
        assert_eq!(report.campaigns, 3);
        assert_eq!(report.updated, 1, "Pro\\u{{200b}}mo → promo");
        assert_eq!(report.collisions.len(), 1);
        assert_eq!(report.collisions[0].campaign_id, ids[1].to_string());
        assert_eq!(report.collisions[0].holder_id, ids[0].to_string());
        assert!(store
            .name_key_taken(workspace, "promo", None)
            .await
            .unwrap());
        // Both colliding rows are still there.
        let all = store
            .list_campaigns(workspace, &Default::default())
            .await
            .unwrap();
        assert_eq!(all.len(), 3);

        assert_eq!(recompute_once(&store).await.unwrap(), None, "runs once");

        // A second pass (what an instance racing the first one does) changes nothing.
        on_pool!(store, pool => sqlx::query("DELETE FROM data_migrations")
            .execute(pool)
            .await
            .map(|done| done.rows_affected()))
        .unwrap();
        let again = recompute_once(&store).await.unwrap().expect("ran again");
        assert_eq!(again.updated, 0, "nothing left to change");
        assert_eq!(again.collisions.len(), 1, "the collision is still reported");
    }
}
