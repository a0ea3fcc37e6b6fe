(function_item name: (identifier) @name body: (block) @body) @function
(struct_item name: (type_identifier) @name body: (_)? @body) @class
(enum_item name: (type_identifier) @name body: (_) @body) @class
(union_item name: (type_identifier) @name body: (_) @body) @class
(trait_item name: (type_identifier) @name body: (_) @body) @class
; @name is the implemented type: `impl Display for Point` qualifies methods as Point.fmt.
(impl_item type: (_) @name body: (_) @body) @impl
(mod_item name: (identifier) @name body: (declaration_list) @body) @scope

(function_signature_item name: (identifier) @name) @decl
(type_item name: (type_identifier) @name) @decl
(macro_definition name: (identifier) @name) @decl

(call_expression function: [
  (identifier) @call
  (scoped_identifier name: (identifier) @call)
  (field_expression field: (field_identifier) @call)
  (generic_function function: [
    (identifier) @call
    (scoped_identifier name: (identifier) @call)
    (field_expression field: (field_identifier) @call)
  ])
])

(use_declaration) @import
(extern_crate_declaration) @import
