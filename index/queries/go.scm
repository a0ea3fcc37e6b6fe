(function_declaration name: (identifier) @name body: (block)? @body) @function
; The receiver type qualifies the name (Type.Method), see index/definitions.py.
(method_declaration name: (field_identifier) @name body: (block)? @body) @function
(type_spec name: (type_identifier) @name type: (_) @body) @class
(type_alias name: (type_identifier) @name) @decl

(call_expression function: [
  (identifier) @call
  (selector_expression field: (field_identifier) @call)
  (parenthesized_expression (identifier) @call)
  (parenthesized_expression (selector_expression field: (field_identifier) @call))
])
; Explicitly instantiated generic calls (f[int](x)) parse as conversions.
(type_conversion_expression type: (generic_type type: [
  (type_identifier) @call
  (qualified_type name: (type_identifier) @call)
]))

(import_spec) @import
