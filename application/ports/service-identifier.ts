/** A symbol that remembers the type it stands for, so a container can check bindings without the application importing it. */
export type ServiceIdentifierFor<T> = symbol & { readonly __type?: T };
