namespace EncryptedStore.Storage;

/// <summary>One element of Data Protection's key ring as stored: its friendly name and XML.</summary>
/// <param name="StorageId">The storage's own handle for the element, for updates and deletes.</param>
/// <param name="Name">Data Protection's friendly name, or null when the stored element has none.</param>
/// <param name="Xml">The element's XML text (its secret encrypted with the master key); null when the stored element has no text.</param>
internal sealed record KeyRingElement(object StorageId, string? Name, string? Xml);
