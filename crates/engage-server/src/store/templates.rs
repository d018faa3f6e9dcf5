use engage_core::wire::{
    Template, TemplateCategory, TemplateComponents, TemplateStatus, TemplateVariable,
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
        })
    }
}

const COLUMNS: &str = "id, name, language, category, status, components, variables";

impl Store {
    /// Inserts the template, or updates the workspace's template with the same name and
    /// language (a re-import brings the status and components up to date). Returns its id.
    pub async fn upsert_template(&self, template: NewTemplate<'_>) -> Result<Uuid, StoreError> {
        let now = now_ms();
        let id = on_pool!(self, pool => sqlx::query_scalar::<_, String>(
            "INSERT INTO templates (id, workspace_id, name, language, category, status, components, variables, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (workspace_id, name, language) DO UPDATE SET
               category = excluded.category, status = excluded.status,
               components = excluded.components, variables = excluded.variables,
               updated_at = excluded.updated_at
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
        .fetch_one(pool)
        .await)?;
        parse_uuid("template id", &id)
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
