using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using MySqlConnector;

namespace FooBar.Web.Data;

/// <summary>
/// Keeps Data Protection's keys in MySQL (<c>data_protection_keys</c>), so that every instance of the app reads the same
/// key ring: an antiforgery token made by one instance is valid on every other, on this machine or another. The
/// interface is synchronous; Data Protection reads the ring rarely (at start, when a key is unknown, once a day).
/// </summary>
public sealed class MySqlXmlRepository(MySqlDataSource dataSource) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var connection = dataSource.OpenConnection();
        using var command = new MySqlCommand("SELECT xml FROM data_protection_keys ORDER BY created_at", connection);
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            elements.Add(XElement.Parse(reader.GetString(0)));
        }
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var connection = dataSource.OpenConnection();
        using var command = new MySqlCommand("INSERT INTO data_protection_keys (name, xml) VALUES (@name, @xml)", connection);
        command.Parameters.AddWithValue("@name", friendlyName);
        command.Parameters.AddWithValue("@xml", element.ToString(SaveOptions.DisableFormatting));
        command.ExecuteNonQuery();
    }
}
