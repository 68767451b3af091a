//! The JSON objects of protocol §3.6 (UserInfo, CatalogInfo, FileInfo, HelpInfo) built from
//! database rows, NULL members omitted. FileInfo's `uploading*Size` members need the current
//! sizes on disk, which the caller passes in.

use super::json::JsonObject;
use crate::db::catalogs::CatalogWithCounts;
use crate::db::files::FileRow;
use crate::db::users::User;
use crate::db::HelpInfo;
use crate::model::status;

pub fn user_info(user: &User) -> String {
    JsonObject::new()
        .int("id", user.id)
        .string("name", &user.name)
        .opt_int("createTime", user.create_time)
        .opt_int("lastLoginDate", user.last_login_date)
        .opt_int("lastModifyTime", user.last_modify_time)
        .opt_int("helpInt", user.help_int)
        .opt_string("helpText", user.help_text.as_deref())
        .finish()
}

pub fn catalog_info(entry: &CatalogWithCounts) -> String {
    let c = &entry.catalog;
    JsonObject::new()
        .int("id", c.id)
        .int("rootId", c.root_id)
        .int("parentId", c.parent_id)
        .string("name", &c.display_name())
        .opt_int("createTime", c.create_time)
        .opt_int("lastModifyTime", c.last_modify_time)
        .opt_string("memo", c.memo.as_deref())
        .opt_int("helpInt", c.help_int)
        .opt_string("helpText", c.help_text.as_deref())
        .int("subCatalogCount", entry.sub_catalog_count)
        .int("fileCount", entry.file_count)
        .finish()
}

/// Current byte sizes of the three upload targets (origin, thumb, screen).
#[derive(Debug, Clone, Copy, Default)]
pub struct UploadSizes {
    pub origin: u64,
    pub thumb: u64,
    pub screen: u64,
}

/// FileInfo; `sizes` is consulted only for the parts whose status is "uploading".
pub fn file_info(f: &FileRow, sizes: UploadSizes) -> String {
    let uploading = |status: i64, size: u64| (status == status::UPLOADING).then_some(size as i64);
    JsonObject::new()
        .int("id", f.id)
        .opt_int("uploadUserId", f.upload_user_id)
        .int("catalogId", f.catalog_id)
        .string("name", f.display_name())
        .opt_string("ext", f.ext.as_deref())
        .opt_int("createTime", f.create_time)
        .opt_int("uploadTime", f.upload_time)
        .opt_int("importTime", f.import_time)
        .opt_int("lastModifyTime", f.last_modify_time)
        .opt_int("size", f.size)
        .int("type", f.file_type)
        .opt_float("duration", f.duration)
        .opt_int("width", f.width)
        .opt_int("height", f.height)
        .opt_int("orientation", f.orientation)
        .opt_string("memo", f.memo.as_deref())
        .opt_int("helpInt", f.help_int)
        .opt_string("helpText", f.help_text.as_deref())
        .opt_int("uploadingOriginSize", uploading(f.status_for_origin, sizes.origin))
        .opt_int("uploadingThumbSize", uploading(f.status_for_thumb, sizes.thumb))
        .opt_int("uploadingScreenSize", uploading(f.status_for_screen, sizes.screen))
        .finish()
}

pub fn help_info(info: &HelpInfo) -> String {
    JsonObject::new()
        .opt_int("helpInt", info.help_int)
        .opt_string("helpText", info.help_text.as_deref())
        .opt_int("lastModifyTime", info.last_modify_time)
        .finish()
}

pub fn page_info(page_index: i64, max_per_page: i64, page_count: i64) -> String {
    JsonObject::new().int("pageIndex", page_index).int("maxPerPage", max_per_page).int("pageCount", page_count).finish()
}
