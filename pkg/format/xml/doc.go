// Package xml reads XML documents as format "xml" (extension .xml).
//
// XML is loaded packed, never flattened: table "" has one column, _data, of
// type record.JSON. Without a record path (xml_record_path) the document
// is one row, {"<root>": <value of the root>}; with one, such as
// catalog/book (local element names from the root, separated by slashes),
// each element at that path is one row holding its value, and whatever is
// outside those elements is read and dropped. A row's line is the line of
// its element's start tag.
//
// The value of an element, in JSON:
//
//   - an element with no attribute and no child element is its text as a
//     string, exactly as written (entities and CDATA decoded), or null when
//     it has none: <title>Go</title> is "Go", <note/> is null;
//   - any other element is an object: each attribute as "@<name>", then
//     each child element by name, in the order names first appear, then
//     the element's own text as "#text" (trimmed of surrounding white
//     space when the element has children, and left out when it is empty).
//     A name that occurs more than once in an element (a repeated child, or
//     attributes of the same local name in different namespaces) holds an
//     array of the values in document order;
//     <book id="1"><tag>a</tag><tag>b</tag></book> is
//     {"@id":"1","tag":["a","b"]}.
//
// Every value is a string: XML has no types. Mixed content keeps its text
// pieces joined in "#text", apart from the child elements, so the order of
// text and elements between them is lost.
//
// Namespaces: names are local names, without their prefix or namespace
// (<geo:lat> is "lat", xml:lang is "@lang"), the record path matches local
// names, and namespace declarations (xmlns, xmlns:p) are left out.
//
// Safety: no DTD or external entity is ever fetched, and no entity is
// expanded but the five predefined ones (&amp; &lt; &gt; &apos; &quot;) and
// character references. A DOCTYPE that declares entities (a billion-laughs
// or external-entity attack, or any internal subset with <!ENTITY) is a
// *format.FileError; any other DOCTYPE is ignored, and a reference to an
// entity it would define is malformed XML. The text reaching the reader
// is UTF-8 (the parser has decoded it): an encoding in the XML declaration
// is not applied again, so set the pipeline's encoding for files that are
// not UTF-8.
//
// Memory: with a record path the reader holds one record at a time; the
// whole document mode holds the document. Both are capped by max line
// bytes (format.Options.MaxLineBytes): a record over the cap is a row
// error and reading goes on after it; a document over the cap (without a
// record path) is a *format.FileError that suggests setting a record path.
// Any one token (a text, a tag with its attributes, a comment, a DOCTYPE)
// over the cap, and nesting deeper than 1000 elements, are file errors
// too. Malformed XML, a second root element or text outside the root is
// a *format.FileError naming the line; rows read before it are written.
//
// The reader is built on encoding/xml's Decoder.Token in strict mode.
package xml
