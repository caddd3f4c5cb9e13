; Struct fields and their types, for queue identities (`struct kvm_vcpu . wq`) and for
; following member chains (`kvm->arch.x` is a field of `struct kvm_arch`).
(struct_specifier
  name: (type_identifier) @struct
  body: (field_declaration_list
    (field_declaration
      type: (_) @type
      declarator: (_) @declarator) @field))
