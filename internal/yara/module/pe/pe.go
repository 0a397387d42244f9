// Package pe is YARA's "pe" module (as in YARA 4.2.3) on a bounded PE parser
// of its own: headers, data directories, sections, overlay, imports (with
// ordinal names and imphash), delayed imports, exports, resources and
// VS_VERSIONINFO, the Rich header, the CodeView PDB path and Authenticode
// signer certificates, plus YARA's constants and functions.
//
// Field values follow YARA 4.2.3 exactly, including its quirks (each is
// commented where it is reproduced); differences and our extra limits are
// listed in docs/yara-modules.md. The parser never panics and bounds all
// work on hostile input. Only the YARA engine and module/list.go import it.
package pe

import (
	"crypto/md5"
	"encoding/hex"
	"maps"
	"sync"

	"github.com/medshield/medshield/internal/yara/module"
)

// Module is the pe module. The zero value is ready to use.
type Module struct{}

// New returns the pe module.
func New() *Module { return &Module{} }

// Name implements module.Module.
func (*Module) Name() string { return "pe" }

var (
	schemaOnce sync.Once
	schemaType *module.Type
)

// Schema implements module.Module. The type is built once and shared.
func (*Module) Schema() *module.Type {
	schemaOnce.Do(func() { schemaType = buildSchema() })
	return schemaType
}

func buildSchema() *module.Type {
	const I, S = module.KindInteger, module.KindString
	var fs []module.Field
	for _, c := range constants {
		fs = append(fs, field(c.name, tInt))
	}
	for _, n := range []string{"is_pe", "machine", "number_of_sections", "timestamp",
		"pointer_to_symbol_table", "number_of_symbols", "size_of_optional_header",
		"characteristics", "entry_point", "entry_point_raw", "image_base",
		"number_of_rva_and_sizes", "number_of_version_infos"} {
		fs = append(fs, field(n, tInt))
	}
	version := structOf(field("major", tInt), field("minor", tInt))
	fs = append(fs,
		field("version_info", dictOf(tStr)),
		field("version_info_list", arrayOf(structOf(field("key", tStr), field("value", tStr)))),
	)
	for _, n := range []string{"opthdr_magic", "size_of_code", "size_of_initialized_data",
		"size_of_uninitialized_data", "base_of_code", "base_of_data", "section_alignment",
		"file_alignment"} {
		fs = append(fs, field(n, tInt))
	}
	fs = append(fs,
		field("linker_version", version), field("os_version", version),
		field("image_version", version), field("subsystem_version", version),
		field("win32_version_value", tInt), field("size_of_image", tInt),
		field("size_of_headers", tInt), field("checksum", tInt),
		field("calculate_checksum", fn(sig("", I, calculateChecksum))),
		field("subsystem", tInt), field("dll_characteristics", tInt),
		field("size_of_stack_reserve", tInt), field("size_of_stack_commit", tInt),
		field("size_of_heap_reserve", tInt), field("size_of_heap_commit", tInt),
		field("loader_flags", tInt),
		field("data_directories", arrayOf(structOf(field("virtual_address", tInt), field("size", tInt)))),
		field("sections", arrayOf(structOf(
			field("name", tStr), field("full_name", tStr), field("characteristics", tInt),
			field("virtual_address", tInt), field("virtual_size", tInt),
			field("raw_data_offset", tInt), field("raw_data_size", tInt),
			field("pointer_to_relocations", tInt), field("pointer_to_line_numbers", tInt),
			field("number_of_relocations", tInt), field("number_of_line_numbers", tInt)))),
		field("overlay", structOf(field("offset", tInt), field("size", tInt))),
		field("rich_signature", structOf(
			field("offset", tInt), field("length", tInt), field("key", tInt),
			field("raw_data", tStr), field("clear_data", tStr),
			field("version", fn(sig("i", I, richVersion), sig("ii", I, richVersionToolid))),
			field("toolid", fn(sig("i", I, richToolid), sig("ii", I, richToolidVersion))))),
		field("imphash", fn(sig("", S, imphash))),
		field("section_index", fn(sig("s", I, sectionIndexName), sig("i", I, sectionIndexAddr))),
		field("exports", fn(sig("s", I, exportsName), sig("r", I, exportsRegexp), sig("i", I, exportsOrdinal))),
		field("exports_index", fn(sig("s", I, exportsIndexName), sig("i", I, exportsIndexOrdinal), sig("r", I, exportsIndexRegexp))),
		field("imports", fn(
			sig("ss", I, importsStd), sig("si", I, importsStdOrdinal), sig("s", I, importsStdDLL),
			sig("rr", I, importsStdRegexp), sig("iss", I, importsFlags), sig("isi", I, importsFlagsOrdinal),
			sig("is", I, importsFlagsDLL), sig("irr", I, importsFlagsRegexp))),
		field("locale", fn(sig("i", I, locale))),
		field("language", fn(sig("i", I, language))),
		field("is_dll", fn(sig("", I, isDLL))),
		field("is_32bit", fn(sig("", I, is32bit))),
		field("is_64bit", fn(sig("", I, is64bit))),
		field("number_of_imports", tInt), field("number_of_imported_functions", tInt),
		field("number_of_delayed_imports", tInt), field("number_of_delayed_imported_functions", tInt),
		field("number_of_exports", tInt), field("dll_name", tStr), field("export_timestamp", tInt),
		field("export_details", arrayOf(structOf(
			field("offset", tInt), field("name", tStr), field("forward_name", tStr), field("ordinal", tInt)))),
		field("import_details", arrayOf(structOf(
			field("library_name", tStr), field("number_of_functions", tInt),
			field("functions", arrayOf(structOf(field("name", tStr), field("ordinal", tInt))))))),
		// Declared by YARA 4.2.3 but never filled (see parseDelayedImports).
		field("delay_import_details", arrayOf(structOf(
			field("library_name", tStr), field("number_of_function", tInt),
			field("functions", arrayOf(structOf(field("name", tStr), field("ordinal", tInt))))))),
		field("resource_timestamp", tInt),
		field("resource_version", version),
		field("resources", arrayOf(structOf(
			field("rva", tInt), field("offset", tInt), field("length", tInt), field("type", tInt),
			field("id", tInt), field("language", tInt), field("type_string", tStr),
			field("name_string", tStr), field("language_string", tStr)))),
		field("number_of_resources", tInt),
		field("pdb_path", tStr),
		field("signatures", arrayOf(structOf(
			field("thumbprint", tStr), field("issuer", tStr), field("subject", tStr),
			field("version", tInt), field("algorithm", tStr), field("algorithm_oid", tStr),
			field("serial", tStr), field("not_before", tInt), field("not_after", tInt),
			field("valid_on", fn(sig("i", I, validOn)))))),
		field("number_of_signatures", tInt),
		field("rva_to_offset", fn(sig("i", I, rvaToOffset))),
	)
	return structOf(fs...)
}

var (
	templateOnce sync.Once
	template     module.Value // skeleton plus constants, never mutated
)

// newRoot returns a fresh root: a clone of the template in which every
// nested struct and dictionary is a new map (Load fills them in place).
func (m *Module) newRoot() module.Value {
	templateOnce.Do(func() {
		template = skeleton(m.Schema())
		for _, c := range constants {
			template.Fields[c.name] = module.Int(c.value)
		}
		template.Fields["is_pe"] = module.Int(0)
	})
	root := module.Value{Kind: module.KindStruct, Fields: maps.Clone(template.Fields)}
	for name, v := range root.Fields {
		switch v.Kind {
		case module.KindStruct:
			v.Fields = maps.Clone(v.Fields)
			root.Fields[name] = v
		case module.KindDict:
			v.Dict = map[string]module.Value{}
			root.Fields[name] = v
		}
	}
	return root
}

// Load implements module.Module.
func (m *Module) Load(sc *module.ScanContext) (module.Value, error) {
	root := m.newRoot()
	o := obj(root.Fields)
	f := header(sc.Data)
	if f == nil {
		return root, nil
	}
	p := &parsed{f: f}
	p.parseHeader(o)
	p.parseRich(o)
	p.parseDebug(o)
	p.parseCertificates(o)
	p.parseImports(o)
	p.parseDelayedImports(o)
	p.parseExports(o)
	root.Private = p
	return root, nil
}

// pe returns the parsed file behind a function call, or nil for a non-PE.
func peOf(self *module.Value) *parsed {
	if self == nil {
		return nil
	}
	p, _ := self.Private.(*parsed)
	return p
}

// imphashOf is YARA's imphash: MD5 of "dll.function" pairs, comma
// separated and lower-cased, where the DLL name loses a .dll/.ocx/.sys
// extension found at its first dot.
func imphashOf(dlls []importedDLL) []byte {
	h := md5.New()
	first := true
	var buf []byte
	for _, d := range dlls {
		name := d.name
		for i, c := range name {
			if c == '.' {
				ext := name[i:]
				if hasPrefixFold(ext, ".ocx") || hasPrefixFold(ext, ".sys") || hasPrefixFold(ext, ".dll") {
					name = name[:i]
				}
				break
			}
		}
		for _, fn := range d.funcs {
			buf = buf[:0]
			if !first {
				buf = append(buf, ',')
			}
			buf = append(buf, name...)
			buf = append(buf, '.')
			buf = append(buf, fn.name...)
			for i := range buf {
				buf[i] = lower(buf[i])
			}
			h.Write(buf)
			first = false
		}
	}
	sum := h.Sum(nil)
	out := make([]byte, 32)
	hex.Encode(out, sum)
	return out
}
