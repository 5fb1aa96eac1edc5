/**
 * Random but realistic messages for `produce --generate`: parcel deliveries, like the producer script of
 * the consumer-groups tutorial kcl grew from. The delivery id is the key, so one delivery's updates stay
 * in one partition and in order.
 */

const COURIERS = ['Amina', 'Brian', 'Chen', 'Dalia', 'Emeka', 'Fatuma', 'Goran', 'Hana', 'Ivan', 'Juma']
const CITIES = ['Nairobi', 'Mombasa', 'Kisumu', 'Lagos', 'Accra', 'Kampala', 'Kigali', 'Dar es Salaam']
const STATUSES = ['created', 'picked_up', 'in_transit', 'out_for_delivery', 'delivered'] as const

const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T

export interface GeneratedMessage {
  key: string
  value: string
}

export function generateDelivery(sequence: number): GeneratedMessage {
  const deliveryId = `DLV-${String(Math.floor(Math.random() * 100_000)).padStart(5, '0')}`
  const value = {
    deliveryId,
    sequence,
    status: pick(STATUSES),
    courier: pick(COURIERS),
    city: pick(CITIES),
    parcelKg: Math.round(Math.random() * 200) / 10,
    etaMinutes: Math.floor(Math.random() * 120),
    at: new Date().toISOString(),
  }
  return {key: deliveryId, value: JSON.stringify(value)}
}
