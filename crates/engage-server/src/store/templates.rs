use engage_core::wire::{
    Template, TemplateCategory, TemplateChange, TemplateComponents, TemplateStatus,
    TemplateUnsupported, TemplateVariable,
};
use sqlx::FromRow;
use uuid::Uuid;

use super::{
    enum_str, now_ms, on_pool, parse_enum, parse_json, parse_uuid, to_json, Store, StoreError,
};

pub struct NewTemplate<'a> {
    pub workspace_id: Uuid,
    pub name: &'a str,
    pub language: &'a str,
    pub category: TemplateCategory,
    pub status: TemplateStatus,
    pub components: &'a TemplateComponents,
    pub variables: &'a [TemplateVariable],
    /// Meta's id; an existing id is kept when this is `None`.
    pub meta_id: Option<&'a str>,
    pub unsupported: Option<&'a TemplateUnsupported>,
    /// A change staff should see (a status found changed by an import); kept when `None`.
    pub last_change: Option<&'a TemplateChange>,
}

/// The identity and state of a stored template (what an import or a webhook compares).
#[derive(Debug, Clone, FromRow)]
pub struct TemplateState {
    pub id: String,
    pub workspace_id: String,
    pub status: String,
    pub category: String,
    pub quality: Option<String>,
    pub meta_template_id: Option<String>,
}

#[derive(Debug, Clone, FromRow)]
pub(crate) struct TemplateRow {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) language: String,
    pub(crate) category: String,
    pub(crate) status: String,
    pub(crate) components: String,
    pub(crate) variables: String,
    pub(crate) meta_template_id: Option<String>,
    pub(crate) unsupported: Option<String>,
    pub(crate) quality: Option<String>,
    pub(crate) last_change: Option<String>,
    /// JSON array of the quick-reply texts marked as opt-out.
    #[sqlx(default)]
    pub(crate) opt_out_buttons: Option<String>,
}

impl TryFrom<TemplateRow> for Template {
    type Error = StoreError;
    fn try_from(row: TemplateRow) -> Result<Self, StoreError> {
        Ok(Template {
            id: parse_uuid("template id", &row.id)?,
            name: row.name,
            language: row.language,
            category: parse_enum("template category", &row.category)?,
            status: parse_enum("template status", &row.status)?,
            components: parse_json("template components", &row.components)?,
            variables: parse_json("template variables", &row.variables)?,
            meta_id: row.meta_template_id,
            unsupported: row
                .unsupported
                .map(|json| parse_json("template unsupported", &json))
                .transpose()?,
            quality: row
                .quality
                .map(|q| parse_enum("template quality", &q))
                .transpose()?,
            last_change: row
                .last_change
                .map(|json| parse_json("template last change", &json))
                .transpose()?,
            opt_out_buttons: row
                .opt_out_buttons
                .map(|json| parse_json("template opt-out buttons", &json))
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

const COLUMNS: &str = "id, name, language, category, status, components, variables, meta_template_id, unsupported, quality, last_change, opt_out_buttons";

impl Store {
    /// Inserts the template, or updates the workspace's template with the same name and
    /// language (a re-import brings the status and components up to date; Meta's id and the
    /// last change are kept unless given). Returns its id.
    pub async fn upsert_template(&self, template: NewTemplate<'_>) -> Result<Uuid, StoreError> {
        let now = now_ms();
        let id = on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "INSERT INTO templates (id, workspace_id, name, language, category, status, components, variables, created_at, updated_at, meta_template_id, unsupported, last_change)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
             ON CONFLICT (workspace_id, name, language) DO UPDATE SET
               category = excluded.category, status = excluded.status,
               components = excluded.components, variables = excluded.variables,
               updated_at = excluded.updated_at, unsupported = excluded.unsupported,
               meta_template_id = COALESCE(excluded.meta_template_id, templates.meta_template_id),
               last_change = COALESCE(excluded.last_change, templates.last_change)
             RETURNING id",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(template.workspace_id.to_string())
        .bind(template.name)
        .bind(template.language)
        .bind(enum_str(&template.category))
        .bind(enum_str(&template.status))
        .bind(to_json(template.components))
        .bind(to_json(&template.variables))
        .bind(now)
        .bind(now)
        .bind(template.meta_id)
        .bind(template.unsupported.map(to_json))
        .bind(template.last_change.map(to_json))
        .fetch_one(pool)
        .await)?;
        parse_uuid("template id", &id)
    }

    /// The workspace's template with this name and language, if any.
    pub async fn template_state(
        &self,
        workspace_id: Uuid,
        name: &str,
        language: &str,
    ) -> Result<Option<TemplateState>, StoreError> {
        Ok(on_pool!(self, pool => sqlx::query_as::<_, TemplateState>(
            "SELECT id, workspace_id, status, category, quality, meta_template_id FROM templates
             WHERE workspace_id = $1 AND name = $2 AND language = $3",
        )
        .bind(workspace_id.to_string())
        .bind(name)
        .bind(language)
        .fetch_optional(pool)
        .await)?)
    }

    /// Templates of the workspace in import order (the demo lists Portuguese first), APPROVED
    /// only unless `include_all`.
    pub async fn list_templates(
        &self,
        workspace_id: Uuid,
        include_all: bool,
    ) -> Result<Vec<Template>, StoreError> {
        let sql = if include_all {
            format!(
                "SELECT {COLUMNS} FROM templates WHERE workspace_id = $1 ORDER BY created_at, id"
            )
        } else {
            format!("SELECT {COLUMNS} FROM templates WHERE workspace_id = $1 AND status = 'APPROVED' ORDER BY created_at, id")
        };
        on_pool!(self, pool => sqlx::query_as::<_, TemplateRow>(&sql)
            .bind(workspace_id.to_string())
            .fetch_all(pool)
            .await)?
        .into_iter()
        .map(Template::try_from)
        .collect()
    }

    pub async fn template(
        &self,
        workspace_id: Uuid,
        id: Uuid,
    ) -> Result<Option<Template>, StoreError> {
        on_pool!(self, pool => sqlx::query_as::<_, TemplateRow>(&format!(
            "SELECT {COLUMNS} FROM templates WHERE workspace_id = $1 AND id = $2"
        ))
        .bind(workspace_id.to_string())
        .bind(id.to_string())
        .fetch_optional(pool)
        .await)?
        .map(Template::try_from)
        .transpose()
    }
}
