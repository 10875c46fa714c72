// Package samples embeds the sample documents that the demo uploads
// and that the README's walkthrough sends with curl.
package samples

import _ "embed"

// PDF is a valid one-page PDF 1.4 invoice with the text
// "Invoice 2026-0001". It is small (under 1 KiB) so tests and examples
// can upload it often.
//
//go:embed sample.pdf
var PDF []byte
