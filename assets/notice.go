package assets

import (
	"embed"
	"io/fs"
)

// noticeFiles are the information notice's message files: one go-i18n v2
// JSON file per language, named by its ISO 639-3 code (notice/ara.json).
//
//go:embed notice/*.json
var noticeFiles embed.FS

// NoticeMessages returns the embedded message files of the information
// notice given to registered people (package notice reads them).
func NoticeMessages() fs.FS { return noticeFiles }
